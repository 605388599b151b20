//! The engine's command line: file format, outputs, summaries and errors.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn incognito(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.display().to_string()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Three shoppers around one job in Manhattan: S2 is nearest but has a conflict, S3 lacks the
/// language, S1 and S4 qualify.
const SHOPPERS: &[&str] = &[
    r#"{"id":"S1","lat":40.7128,"lon":-74.006,"radius_km":40.0,"capacity":1,"rating":8.5,"completed":12,"age":34,"vehicle":true,"languages":["en","es"],"certs":["mspa-silver"],"orgs":[],"recent":[]}"#,
    r#"{"id":"S2","lat":40.7500,"lon":-73.9910,"radius_km":40.0,"capacity":1,"rating":9.0,"completed":30,"age":40,"languages":["es"],"orgs":["O17"]}"#,
    r#"{"id":"S3","lat":40.7480,"lon":-73.9900,"radius_km":40.0,"languages":["en"]}"#,
    r#"{"id":"S4","lat":40.6000,"lon":-73.9000,"radius_km":40.0,"capacity":2,"rating":7.5,"age":25,"languages":["es"]}"#,
];
const JOBS: &[&str] = &[
    r#"{"id":"J1","location":"L42","lat":40.75,"lon":-73.99,"max_km":50.0,"min_age":21,"max_age":null,"vehicle":false,"languages":["es"],"certs":[],"min_rating":7.0,"min_completed":0,"blocked_orgs":["O17","O23"]}"#,
    r#"{"id":"J2","location":"L43","lat":40.61,"lon":-73.91,"max_km":10.0,"languages":["es"]}"#,
];

#[test]
fn candidates_lists_the_nearest_eligible_shoppers_of_each_job() {
    let dir = tempfile::tempdir().unwrap();
    let (s, j) = (
        write(dir.path(), "s.jsonl", SHOPPERS),
        write(dir.path(), "j.jsonl", JOBS),
    );
    let out = dir.path().join("out.jsonl");
    let (ok, stdout, stderr) = incognito(&[
        "match",
        "candidates",
        "--shoppers",
        &s,
        "--jobs",
        &j,
        "--k",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (summary["shoppers"].as_u64(), summary["jobs"].as_u64()),
        (Some(4), Some(2))
    );
    for field in ["load_ms", "index_ms", "query_ms"] {
        assert!(summary[field].is_number(), "{field} missing: {summary}");
    }
    let got = lines(&out);
    let ids = |v: &Value| -> Vec<String> {
        v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["shopper"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(got[0]["job"], "J1");
    assert_eq!(ids(&got[0]), ["S1", "S4"]);
    // Haversine distance on the 6371.0088 km sphere.
    let km = got[0]["candidates"][0]["km"].as_f64().unwrap();
    assert!((km - 4.350616).abs() < 1e-6, "{km}");
    assert_eq!(got[1]["job"], "J2");
    assert_eq!(ids(&got[1]), ["S4"]);
}

#[test]
fn batch_fills_the_most_jobs_with_the_least_distance() {
    let dir = tempfile::tempdir().unwrap();
    let (s, j) = (
        write(dir.path(), "s.jsonl", SHOPPERS),
        write(dir.path(), "j.jsonl", JOBS),
    );
    let out = dir.path().join("out.jsonl");
    let (ok, stdout, stderr) = incognito(&[
        "match",
        "batch",
        "--shoppers",
        &s,
        "--jobs",
        &j,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["assigned"], 2);
    let got = lines(&out);
    // J2 can only have S4; J1 takes S1 (S4 could take both, but S1 is nearer J1).
    assert_eq!(got[0]["job"], "J1");
    assert_eq!(got[0]["shopper"], "S1");
    assert_eq!(got[0]["m"], 4351);
    assert_eq!(got[1]["job"], "J2");
    assert_eq!(got[1]["shopper"], "S4");
    let total: u64 = got.iter().map(|l| l["m"].as_u64().unwrap()).sum();
    assert_eq!(summary["total_m"].as_u64(), Some(total));
}

#[test]
fn a_malformed_line_names_file_line_and_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let j = write(dir.path(), "j.jsonl", JOBS);
    let out = dir.path().join("out.jsonl");
    let cases: [(&str, &str); 4] = [
        (r#"{"id":"S9","lat":"north","lon":-74.0}"#, "lat"),
        (r#"{"id":"S9","lon":-74.0}"#, "lat"),
        (r#"{"id":"S9","lat":95.0,"lon":-74.0}"#, "lat"),
        (
            r#"{"id":"S9","lat":40.0,"lon":-74.0,"radius_km":-3}"#,
            "radius_km",
        ),
    ];
    for (bad, field) in cases {
        let s = write(dir.path(), "s.jsonl", &[SHOPPERS[0], SHOPPERS[1], bad]);
        let (ok, _, stderr) = incognito(&[
            "match",
            "candidates",
            "--shoppers",
            &s,
            "--jobs",
            &j,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok, "{bad} was accepted");
        assert!(stderr.contains("s.jsonl:3:"), "{stderr}");
        assert!(
            stderr.contains(&format!("field `{field}`")),
            "{bad}: {stderr}"
        );
        assert!(!out.exists(), "output written despite the error");
    }
    let s = write(dir.path(), "s.jsonl", SHOPPERS);
    let bad_jobs = write(
        dir.path(),
        "bad.jsonl",
        &[JOBS[0], r#"{"id":"J9","lat":1.0,"lon":2.0}"#],
    );
    let (ok, _, stderr) = incognito(&[
        "match",
        "batch",
        "--shoppers",
        &s,
        "--jobs",
        &bad_jobs,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("bad.jsonl:2:") && stderr.contains("field `location`"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn demo_data_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |seed: &str, name: &str| {
        let out = dir.path().join(name);
        let (ok, _, stderr) = incognito(&[
            "demo-data",
            "--shoppers",
            "300",
            "--jobs",
            "60",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
        (
            std::fs::read(out.join("shoppers.jsonl")).unwrap(),
            std::fs::read(out.join("jobs.jsonl")).unwrap(),
        )
    };
    let (a, b, c) = (run("5", "a"), run("5", "b"), run("6", "c"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let shoppers = String::from_utf8(a.0).unwrap();
    assert_eq!(shoppers.lines().count(), 300);
    // Every line is in the format, and the panel can be matched.
    let (ok, _, stderr) = incognito(&[
        "match",
        "batch",
        "--shoppers",
        dir.path().join("a/shoppers.jsonl").to_str().unwrap(),
        "--jobs",
        dir.path().join("a/jobs.jsonl").to_str().unwrap(),
        "--out",
        dir.path().join("a/out.jsonl").to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
}
