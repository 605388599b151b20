//! Batch assignment: fill the largest possible number of jobs and, among all such assignments,
//! take one with the smallest total distance (each distance in whole metres). One shopper per
//! job; each shopper at most their capacity. Exact and deterministic.
//!
//! It is a min-cost max-flow: source → shopper (capacity) → job (1, cost = metres) → sink (1).
//! The graph falls apart into independent regions (shoppers and jobs that share no eligible
//! pair do not interact), so each connected component is solved on its own, with the
//! primal–dual method: Dijkstra on reduced costs finds the shortest augmenting distance, then a
//! blocking flow saturates every augmenting path of that length at once (Dinic on the
//! zero-reduced-cost layered graph). Each phase keeps the flow of minimum cost for its value,
//! so the last phase ends with a maximum flow of minimum cost.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An eligible pair: shopper `shopper` may take job `job` at `metres`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub shopper: u32,
    pub job: u32,
    pub metres: u64,
}

/// The chosen pairs, sorted by job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub pairs: Vec<Edge>,
}

impl Assignment {
    pub fn filled(&self) -> usize {
        self.pairs.len()
    }

    pub fn total_metres(&self) -> u64 {
        self.pairs.iter().map(|e| e.metres).sum()
    }
}

/// Solves the batch. `capacity[s]` is shopper `s`'s capacity; jobs are `0..jobs`.
pub fn solve(capacity: &[u32], jobs: u32, edges: &[Edge]) -> Assignment {
    let shoppers = u32::try_from(capacity.len()).unwrap_or(u32::MAX);
    let mut pairs = Vec::new();
    for component in components(shoppers, jobs, edges) {
        pairs.extend(solve_component(capacity, &component));
    }
    pairs.sort_by_key(|e| (e.job, e.shopper));
    Assignment { pairs }
}

/// Groups the edges by connected component of the shopper–job graph, in a fixed order.
fn components(shoppers: u32, jobs: u32, edges: &[Edge]) -> Vec<Vec<Edge>> {
    let n = shoppers as usize + jobs as usize;
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for e in edges {
        let (a, b) = (
            find(&mut parent, e.shopper as usize),
            find(&mut parent, shoppers as usize + e.job as usize),
        );
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut index_of_root = vec![usize::MAX; n];
    let mut groups: Vec<Vec<Edge>> = Vec::new();
    for e in edges {
        let root = find(&mut parent, e.shopper as usize);
        if index_of_root[root] == usize::MAX {
            index_of_root[root] = groups.len();
            groups.push(Vec::new());
        }
        groups[index_of_root[root]].push(*e);
    }
    groups
}

/// The residual graph of one component.
struct Graph {
    /// Per node, the indices of its outgoing arcs.
    adjacency: Vec<Vec<u32>>,
    to: Vec<u32>,
    cap: Vec<i64>,
    cost: Vec<i64>,
}

impl Graph {
    fn with_nodes(n: usize) -> Self {
        Graph {
            adjacency: vec![Vec::new(); n],
            to: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
        }
    }

    /// Adds an arc and its reverse; returns the forward arc's index. An arc's reverse is `a ^ 1`.
    fn arc(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let a = self.to.len();
        self.to.push(to as u32);
        self.cap.push(cap);
        self.cost.push(cost);
        self.adjacency[from].push(a as u32);
        self.to.push(from as u32);
        self.cap.push(0);
        self.cost.push(-cost);
        self.adjacency[to].push(a as u32 + 1);
        a
    }
}

const INF: i64 = i64::MAX / 4;

fn solve_component(capacity: &[u32], edges: &[Edge]) -> Vec<Edge> {
    // Local numbering: source 0, sink 1, then shoppers and jobs in order of first appearance.
    let mut local_shopper = std::collections::HashMap::new();
    let mut local_job = std::collections::HashMap::new();
    let mut shopper_ids = Vec::new();
    let mut job_ids = Vec::new();
    for e in edges {
        local_shopper.entry(e.shopper).or_insert_with(|| {
            shopper_ids.push(e.shopper);
            shopper_ids.len() - 1
        });
        local_job.entry(e.job).or_insert_with(|| {
            job_ids.push(e.job);
            job_ids.len() - 1
        });
    }
    let (source, sink) = (0usize, 1usize);
    let shopper_node = |i: usize| 2 + i;
    let job_node = |i: usize| 2 + shopper_ids.len() + i;
    let n = 2 + shopper_ids.len() + job_ids.len();
    let mut g = Graph::with_nodes(n);
    for (i, s) in shopper_ids.iter().enumerate() {
        g.arc(
            source,
            shopper_node(i),
            i64::from(capacity.get(*s as usize).copied().unwrap_or(0)),
            0,
        );
    }
    let mut pair_arcs = Vec::with_capacity(edges.len());
    for e in edges {
        let a = g.arc(
            shopper_node(local_shopper[&e.shopper]),
            job_node(local_job[&e.job]),
            1,
            e.metres as i64,
        );
        pair_arcs.push((a, *e));
    }
    for i in 0..job_ids.len() {
        g.arc(job_node(i), sink, 1, 0);
    }

    let mut potential = vec![0i64; n];
    let mut dist = vec![INF; n];
    let mut level = vec![u32::MAX; n];
    let mut next_arc = vec![0usize; n];
    loop {
        // Shortest distances from the source on reduced costs (all ≥ 0).
        dist.fill(INF);
        dist[source] = 0;
        let mut heap = BinaryHeap::new();
        heap.push(Reverse((0i64, source as u32)));
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            for &a in &g.adjacency[u] {
                let a = a as usize;
                if g.cap[a] <= 0 {
                    continue;
                }
                let v = g.to[a] as usize;
                let nd = d + g.cost[a] + potential[u] - potential[v];
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Reverse((nd, v as u32)));
                }
            }
        }
        if dist[sink] >= INF {
            break;
        }
        let bound = dist[sink];
        for v in 0..n {
            potential[v] += dist[v].min(bound);
        }
        // Layered graph of zero-reduced-cost residual arcs (BFS from the source).
        level.fill(u32::MAX);
        level[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for &a in &g.adjacency[u] {
                let a = a as usize;
                let v = g.to[a] as usize;
                if g.cap[a] > 0
                    && level[v] == u32::MAX
                    && g.cost[a] + potential[u] - potential[v] == 0
                {
                    level[v] = level[u] + 1;
                    queue.push_back(v);
                }
            }
        }
        if level[sink] == u32::MAX {
            // Cannot happen after a successful Dijkstra; stop rather than loop.
            break;
        }
        next_arc.fill(0);
        while augment(&mut g, &potential, &level, &mut next_arc, source, sink) {}
    }

    pair_arcs
        .into_iter()
        .filter(|(a, _)| g.cap[*a] == 0)
        .map(|(_, e)| e)
        .collect()
}

/// Pushes one unit along an admissible path of the layered graph (iterative DFS with
/// current-arc pointers). False when no such path is left.
fn augment(
    g: &mut Graph,
    potential: &[i64],
    level: &[u32],
    next_arc: &mut [usize],
    source: usize,
    sink: usize,
) -> bool {
    let mut path: Vec<usize> = Vec::new();
    let mut u = source;
    loop {
        if u == sink {
            for &a in &path {
                g.cap[a] -= 1;
                g.cap[a ^ 1] += 1;
            }
            return true;
        }
        let mut advanced = false;
        while next_arc[u] < g.adjacency[u].len() {
            let a = g.adjacency[u][next_arc[u]] as usize;
            let v = g.to[a] as usize;
            if g.cap[a] > 0
                && level[v] == level[u] + 1
                && g.cost[a] + potential[u] - potential[v] == 0
            {
                path.push(a);
                u = v;
                advanced = true;
                break;
            }
            next_arc[u] += 1;
        }
        if !advanced {
            // Dead end: retreat and skip the arc that led here.
            let Some(a) = path.pop() else { return false };
            u = g.to[a ^ 1] as usize;
            next_arc[u] += 1;
        }
    }
}

/// Exhaustive search, for tests on small instances: (filled, total metres) of the best.
pub fn brute_force(capacity: &[u32], jobs: u32, edges: &[Edge]) -> (usize, u64) {
    fn go(
        job: u32,
        jobs: u32,
        by_job: &[Vec<Edge>],
        left: &mut [u32],
        filled: usize,
        total: u64,
        best: &mut (usize, u64),
    ) {
        if job == jobs {
            if filled > best.0 || (filled == best.0 && total < best.1) {
                *best = (filled, total);
            }
            return;
        }
        go(job + 1, jobs, by_job, left, filled, total, best);
        for e in &by_job[job as usize] {
            if left[e.shopper as usize] > 0 {
                left[e.shopper as usize] -= 1;
                go(
                    job + 1,
                    jobs,
                    by_job,
                    left,
                    filled + 1,
                    total + e.metres,
                    best,
                );
                left[e.shopper as usize] += 1;
            }
        }
    }
    let mut by_job = vec![Vec::new(); jobs as usize];
    for e in edges {
        by_job[e.job as usize].push(*e);
    }
    let mut best = (0, 0);
    go(0, jobs, &by_job, &mut capacity.to_vec(), 0, 0, &mut best);
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(shopper: u32, job: u32, metres: u64) -> Edge {
        Edge {
            shopper,
            job,
            metres,
        }
    }

    #[test]
    fn the_nearest_shopper_gives_way_when_that_fills_more_jobs() {
        // Shopper 0 is nearest to both jobs; shopper 1 can only do job 0.
        let edges = [e(0, 0, 100), e(0, 1, 200), e(1, 0, 5000)];
        let a = solve(&[1, 1], 2, &edges);
        assert_eq!(a.filled(), 2);
        assert_eq!(a.total_metres(), 5200);
        assert_eq!(a.pairs, vec![e(1, 0, 5000), e(0, 1, 200)]);
    }

    #[test]
    fn capacity_is_respected_and_distance_minimised() {
        let edges = [e(0, 0, 10), e(0, 1, 10), e(0, 2, 10), e(1, 2, 50)];
        let a = solve(&[2, 1], 3, &edges);
        assert_eq!(a.filled(), 3);
        assert_eq!(a.total_metres(), 70);
    }

    #[test]
    fn nothing_to_assign() {
        assert_eq!(solve(&[1], 3, &[]).filled(), 0);
    }

    fn instance() -> impl Strategy<Value = (Vec<u32>, u32, Vec<Edge>)> {
        (1usize..6, 1u32..7)
            .prop_flat_map(|(shoppers, jobs)| {
                let caps = proptest::collection::vec(0u32..3, shoppers);
                let pairs = proptest::collection::vec(
                    (
                        0..shoppers as u32,
                        0..jobs,
                        prop_oneof![Just(1000u64), 0u64..20_000],
                    ),
                    0..(shoppers * jobs as usize).min(14),
                );
                (caps, Just(jobs), pairs)
            })
            .prop_map(|(caps, jobs, pairs)| {
                let mut seen = std::collections::HashSet::new();
                let edges = pairs
                    .into_iter()
                    .filter(|(s, j, _)| seen.insert((*s, *j)))
                    .map(|(s, j, m)| e(s, j, m))
                    .collect();
                (caps, jobs, edges)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn batch_equals_brute_force((caps, jobs, edges) in instance()) {
            let a = solve(&caps, jobs, &edges);
            prop_assert_eq!((a.filled(), a.total_metres()), brute_force(&caps, jobs, &edges));
            // A valid assignment: eligible pairs, one shopper per job, capacity kept.
            let mut used = vec![0u32; caps.len()];
            let mut jobs_seen = std::collections::HashSet::new();
            for p in &a.pairs {
                prop_assert!(edges.contains(p));
                prop_assert!(jobs_seen.insert(p.job));
                used[p.shopper as usize] += 1;
            }
            for (s, u) in used.iter().enumerate() {
                prop_assert!(*u <= caps[s]);
            }
            // Deterministic.
            prop_assert_eq!(a, solve(&caps, jobs, &edges));
        }
    }
}
