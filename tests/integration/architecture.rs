//! The layering of DESIGN.md, held by a test: it reads every `crate::…` path in `src/` (in
//! `use` lines and inline), and fails on a cycle between top-level modules or on an import
//! against the layers. The layers are written down here once.
//!
//! A module's `routes.rs` belongs to the top layer (with `state`, `web`, `openapi` and `app`),
//! not to its module: routes may call any domain module, no domain module may call routes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. A unit may import any unit of a lower layer and the units before it in its
/// own layer; nothing above it. `routes` stands for every module's `routes.rs`.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "matching",
            "clock",
            "money",
            "ids",
            "units",
            "zones",
            "config",
            "error",
            "paging",
            "text",
            "routing",
            "keys",
            "archive",
            "http",
            "metrics",
            "telemetry",
        ],
    ),
    ("infrastructure", &["db", "storage", "mail", "geocode"]),
    ("privacy and accounts", &["privacy", "auth"]),
    (
        "panel and scheduling",
        &["organizations", "panel", "clients", "assignments"],
    ),
    (
        "deliverables",
        &["reports", "media", "qa", "portal", "pay", "rights"],
    ),
    (
        "edges",
        &[
            "startup",
            "state",
            "background",
            "demo",
            "routes",
            "openapi",
            "health",
            "web",
            "middleware",
            "app",
        ],
    ),
];

/// Where a unit stands: (layer, position in it).
fn rank(unit: &str) -> Option<(usize, usize)> {
    LAYERS.iter().enumerate().find_map(|(layer, (_, units))| {
        units
            .iter()
            .position(|u| *u == unit)
            .map(|pos| (layer, pos))
    })
}

/// The unit a source file belongs to, from its path under `src/`.
fn unit_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["lib.rs"] | ["main.rs"] => None,
        [file] => Some(file.trim_end_matches(".rs").to_string()),
        [_, "routes.rs"] => Some("routes".to_string()),
        [module, ..] => Some((*module).to_string()),
        [] => None,
    }
}

/// Removes comments and string literals, so that a `crate::x` in a doc or a message is not
/// read as an import.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && raw_string_at(&chars, i) {
            i = skip_raw_string(&chars, i);
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next.is_some() && chars.get(i + 2) == Some(&'\'') {
            // A character literal such as '"' (lifetimes have no closing quote).
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn raw_string_at(chars: &[char], i: usize) -> bool {
    let before_ok = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let mut j = i + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    before_ok && chars.get(j) == Some(&'"')
}

fn skip_raw_string(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    j += 1; // the opening quote
    while j < chars.len() {
        if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    j
}

/// The top-level modules a file names through `crate::` (in `use` lines, groups such as
/// `use crate::{a, b::c}`, and inline paths), with the unit of `X::routes` paths as `routes`.
fn imports(source: &str) -> BTreeSet<String> {
    let code = code_only(source);
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `my_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                    _ if depth == 1 => item.push(c),
                    _ => {}
                }
                if depth == 0 {
                    items.push(std::mem::take(&mut item));
                    break;
                }
            }
            for item in items {
                let path = item.split_whitespace().collect::<String>();
                if !path.is_empty() {
                    found.insert(target_of(&path));
                }
            }
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            found.insert(target_of(&path));
        }
    }
    found.remove("");
    found
}

/// `clients::routes::X` → `routes`; `clients::store` → `clients`.
fn target_of(path: &str) -> String {
    let mut segments = path.split("::");
    let first = segments.next().unwrap_or_default().to_string();
    if segments.next() == Some("routes") {
        "routes".to_string()
    } else {
        first
    }
}

/// Everything wrong with a tree of sources (path under `src/` → text): imports against the
/// layers, units the layers do not name, and cycles between units.
fn check(sources: &BTreeMap<String, String>) -> Vec<String> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, source) in sources {
        let Some(unit) = unit_of(path) else { continue };
        let entry = graph.entry(unit.clone()).or_default();
        for target in imports(source) {
            if target != unit {
                entry.insert(target.clone());
                let (Some(from), Some(to)) = (rank(&unit), rank(&target)) else {
                    continue;
                };
                if to >= from {
                    problems.push(format!(
                        "src/{path}: `{unit}` ({}) imports `{target}` ({}), which is not below it",
                        LAYERS[from.0].0, LAYERS[to.0].0
                    ));
                }
            }
        }
    }
    let named: BTreeSet<&String> = graph.keys().chain(graph.values().flatten()).collect();
    for unit in named {
        if rank(unit).is_none() {
            problems.push(format!(
                "`{unit}` is in no layer: add it to LAYERS in tests/integration/architecture.rs \
                 (and to DESIGN.md)"
            ));
        }
    }
    problems.extend(cycles(&graph));
    problems
}

/// Each cycle between units, as `a → b → a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        unit: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
        found: &mut Vec<String>,
    ) {
        marks.insert(unit.to_string(), Mark::Open);
        stack.push(unit.to_string());
        for next in graph.get(unit).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::New => visit(next, graph, marks, stack, found),
                Mark::Open => {
                    let start = stack.iter().position(|u| u == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    found.push(format!("import cycle: {}", cycle.join(" → ")));
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(unit.to_string(), Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for unit in graph.keys() {
        if marks.get(unit).copied().unwrap_or(Mark::New) == Mark::New {
            visit(unit, graph, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

fn read_tree(dir: &Path, prefix: &str, into: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if path.is_dir() {
            read_tree(&path, &format!("{prefix}{name}/"), into);
        } else if name.ends_with(".rs") {
            into.insert(
                format!("{prefix}{name}"),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
}

#[test]
fn the_modules_follow_the_layers_of_the_design() {
    let mut sources = BTreeMap::new();
    read_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut sources,
    );
    assert!(sources.len() > 50, "the sources were read");
    let problems = check(&sources);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The types that derive `ToSchema`, by the name the OpenAPI document gives them (a
/// `#[schema(as = …)]` renames one): where two share a name, utoipa keeps one of them silently
/// and the document describes the other route wrongly.
fn schema_names(sources: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, source) in sources {
        let lines: Vec<&str> = source.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.contains("derive(") && line.contains("ToSchema")) {
                continue;
            }
            let mut renamed = None;
            for next in lines.iter().skip(i + 1).take(12) {
                let next = next.trim();
                if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                    renamed = Some(rest.trim_end_matches(")]").to_string());
                }
                let declared = next
                    .strip_prefix("pub struct ")
                    .or_else(|| next.strip_prefix("pub enum "))
                    .or_else(|| next.strip_prefix("struct "))
                    .or_else(|| next.strip_prefix("enum "));
                if let Some(rest) = declared {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names
                        .entry(renamed.take().unwrap_or(name))
                        .or_default()
                        .push(path.clone());
                    break;
                }
            }
        }
    }
    names
}

#[test]
fn every_schema_of_the_openapi_document_has_its_own_name() {
    let mut sources = BTreeMap::new();
    read_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut sources,
    );
    let names = schema_names(&sources);
    assert!(names.len() > 50, "the schemas were found: {}", names.len());
    let shared: Vec<String> = names
        .iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, paths)| format!("{name}: {}", paths.join(", ")))
        .collect();
    assert!(shared.is_empty(), "schemas sharing a name: {shared:?}");
    // The check finds a clash when there is one.
    let clash = tree(&[
        (
            "a.rs",
            "#[derive(Serialize, ToSchema)]\npub struct EventView {}",
        ),
        (
            "b.rs",
            "#[derive(utoipa::ToSchema)]\n#[serde(flatten)]\npub struct EventView(u8);",
        ),
    ]);
    assert_eq!(schema_names(&clash)["EventView"].len(), 2);
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect()
}

#[test]
fn a_deliberate_cycle_fails_the_check() {
    // panel importing assignments, which imports panel: both against the layers and a cycle.
    let sources = tree(&[
        (
            "panel/service.rs",
            "use crate::assignments::service::withdraw_open;\n",
        ),
        (
            "assignments/store.rs",
            "use crate::panel::store::find_shopper;\n",
        ),
    ]);
    let problems = check(&sources);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("import cycle") && p.contains("assignments → panel → assignments")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("src/panel/service.rs: `panel`") && p.contains("`assignments`")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn a_cycle_outside_the_layers_is_still_found() {
    let sources = tree(&[
        ("alpha.rs", "fn f() { crate::beta::g() }"),
        ("beta/mod.rs", "use crate::{alpha::f, db};"),
    ]);
    let problems = check(&sources);
    assert!(
        problems
            .iter()
            .any(|p| p == "import cycle: alpha → beta → alpha"),
        "{problems:?}"
    );
}

#[test]
fn domain_code_may_not_reach_routes_state_or_pages() {
    let sources = tree(&[
        ("clients/service.rs", "use crate::assignments::routes::X;"),
        ("panel/store.rs", "fn f(s: &crate::state::AppState) {}"),
        ("auth/service.rs", "use crate::web::PageError;"),
        // Routes may call down into any domain module; comments and strings are not imports.
        (
            "panel/routes.rs",
            "use crate::assignments::service; // crate::app\nconst A: &str = \"crate::web\";",
        ),
    ]);
    let problems = check(&sources);
    for (file, target) in [
        ("clients/service.rs", "routes"),
        ("panel/store.rs", "state"),
        ("auth/service.rs", "web"),
    ] {
        assert!(
            problems.iter().any(
                |p| p.starts_with(&format!("src/{file}")) && p.contains(&format!("`{target}`"))
            ),
            "{file} → {target} not reported: {problems:?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:?}");
}
