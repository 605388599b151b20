//! Batch assignment: fill the largest possible number of jobs and, among all such assignments,
//! take one with the smallest total distance (each distance in whole metres). One shopper per
//! job; each shopper at most their capacity. Exact and deterministic.
//!
//! It is a min-cost max-flow: job (1) → shopper (cost = metres) → sink (capacity). The graph
//! falls apart into independent regions (shoppers and jobs that share no eligible pair do not
//! interact), so each connected component is solved on its own; see `solve_component`.

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

const UNREACHED: i64 = i64::MAX;

/// Dijkstra's working state, reused across searches: only the nodes a search touched are reset.
struct Search {
    dist: Vec<i64>,
    parent: Vec<u32>,
    done: Vec<bool>,
    touched: Vec<usize>,
    /// Nodes settled by the last search, in order.
    finalized: Vec<usize>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Search {
    fn new(nodes: usize) -> Self {
        Search {
            dist: vec![UNREACHED; nodes],
            parent: vec![u32::MAX; nodes],
            done: vec![false; nodes],
            touched: Vec::new(),
            finalized: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        for x in self.touched.drain(..) {
            self.dist[x] = UNREACHED;
            self.parent[x] = u32::MAX;
            self.done[x] = false;
        }
        self.finalized.clear();
        self.heap.clear();
    }

    fn relax(&mut self, x: usize, d: i64, from: usize) {
        if d < self.dist[x] {
            if self.dist[x] == UNREACHED {
                self.touched.push(x);
            }
            self.dist[x] = d;
            self.parent[x] = from as u32;
            self.heap.push(Reverse((d, x as u32)));
        }
    }

    /// The next node to settle (smallest distance, then smallest number: deterministic).
    fn pop(&mut self) -> Option<(usize, i64)> {
        while let Some(Reverse((d, x))) = self.heap.pop() {
            let x = x as usize;
            if !self.done[x] && d == self.dist[x] {
                self.done[x] = true;
                self.finalized.push(x);
                return Some((x, d));
            }
        }
        None
    }
}

/// Where a job's unit of flow goes: nowhere yet, a shopper (by local column), or its own
/// "unfilled" option.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    Pending,
    Shopper(u32),
    Unfilled,
}

/// Solves one component by adding its jobs one at a time, each along a shortest augmenting path
/// from the new job (successive shortest paths with node potentials and Dijkstra, stopping at
/// the sink). Every job also has an "unfilled" arc of cost `big`, larger than any difference
/// in total distance, so the min-cost flow fills the most jobs first and then minimises metres.
/// A search only explores the neighbourhood it needs: nearby shoppers with capacity left end it.
fn solve_component(capacity: &[u32], edges: &[Edge]) -> Vec<Edge> {
    let mut col_of = std::collections::HashMap::new();
    let mut row_of = std::collections::HashMap::new();
    let (mut col_ids, mut row_ids) = (Vec::new(), Vec::new());
    for e in edges {
        col_of.entry(e.shopper).or_insert_with(|| {
            col_ids.push(e.shopper);
            col_ids.len() - 1
        });
        row_of.entry(e.job).or_insert_with(|| {
            row_ids.push(e.job);
            row_ids.len() - 1
        });
    }
    let (rows, cols) = (row_ids.len(), col_ids.len());
    // Node numbering: rows, columns, each row's "unfilled" node, the sink.
    let col_node = |c: usize| rows + c;
    let unfilled_node = |r: usize| rows + cols + r;
    let sink = 2 * rows + cols;
    let nodes = sink + 1;

    let mut adjacency: Vec<Vec<(u32, i64)>> = vec![Vec::new(); rows];
    for e in edges {
        adjacency[row_of[&e.job]].push((col_of[&e.shopper] as u32, e.metres as i64));
    }
    let cap: Vec<u32> = col_ids
        .iter()
        .map(|s| capacity.get(*s as usize).copied().unwrap_or(0))
        .collect();
    let max_edge = edges.iter().map(|e| e.metres as i64).max().unwrap_or(0);
    let big = (rows as i64 + 1).saturating_mul(max_edge + 1);

    let mut placement = vec![Placement::Pending; rows];
    // Per shopper, the jobs placed with them and at what cost.
    let mut holders: Vec<Vec<(u32, i64)>> = vec![Vec::new(); cols];
    let mut potential = vec![0i64; nodes];
    let mut search = Search::new(nodes);

    for r in 0..rows {
        // A new job's arcs must have non-negative reduced costs: raise its potential enough.
        potential[unfilled_node(r)] = potential[sink];
        let mut pr = potential[unfilled_node(r)] - big;
        for &(c, cost) in &adjacency[r] {
            pr = pr.max(potential[col_node(c as usize)] - cost);
        }
        potential[r] = pr;

        search.reset();
        search.relax(r, 0, usize::MAX);
        while let Some((x, d)) = search.pop() {
            if x == sink {
                break;
            }
            let arc = |y: usize, cost: i64| (y, d + cost + potential[x] - potential[y]);
            if x < rows {
                // A job: to any shopper it is not placed with, and to its "unfilled" option.
                for &(c, cost) in &adjacency[x] {
                    if placement[x] != Placement::Shopper(c) {
                        let (y, dy) = arc(col_node(c as usize), cost);
                        search.relax(y, dy, x);
                    }
                }
                if placement[x] != Placement::Unfilled {
                    let (y, dy) = arc(unfilled_node(x), big);
                    search.relax(y, dy, x);
                }
            } else if x < rows + cols {
                // A shopper: to the sink if capacity is left; back to each job placed with them.
                let c = x - rows;
                if (holders[c].len() as u32) < cap[c] {
                    let (y, dy) = arc(sink, 0);
                    search.relax(y, dy, x);
                }
                for &(holder, cost) in &holders[c] {
                    let (y, dy) = arc(holder as usize, -cost);
                    search.relax(y, dy, x);
                }
            } else {
                // A job's "unfilled" option: free unless that job is unfilled already.
                let owner = x - rows - cols;
                let (y, dy) = if placement[owner] == Placement::Unfilled {
                    arc(owner, -big)
                } else {
                    arc(sink, 0)
                };
                search.relax(y, dy, x);
            }
        }
        let reach = search.dist[sink];
        // Augment along the path (the "unfilled" option always reaches the sink): each job on it
        // moves to the next place.
        let mut x = search.parent[sink] as usize;
        while x != usize::MAX && x != u32::MAX as usize {
            let job = search.parent[x] as usize;
            if let Placement::Shopper(c) = placement[job] {
                holders[c as usize].retain(|(h, _)| *h as usize != job);
            }
            if x < rows + cols {
                let c = x - rows;
                let cost = adjacency[job]
                    .iter()
                    .find(|(cc, _)| *cc as usize == c)
                    .map_or(0, |(_, m)| *m);
                holders[c].push((job as u32, cost));
                placement[job] = Placement::Shopper(c as u32);
            } else {
                placement[job] = Placement::Unfilled;
            }
            if job == r {
                break;
            }
            x = search.parent[job] as usize;
        }
        for &y in &search.finalized {
            potential[y] += search.dist[y] - reach;
        }
    }

    let mut out = Vec::new();
    for (r, p) in placement.iter().enumerate() {
        if let Placement::Shopper(c) = p {
            let metres = adjacency[r]
                .iter()
                .find(|(cc, _)| cc == c)
                .map_or(0, |(_, m)| *m as u64);
            out.push(Edge {
                shopper: col_ids[*c as usize],
                job: row_ids[r],
                metres,
            });
        }
    }
    out
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
