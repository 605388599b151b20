//! The JSON Lines file format of `incognito match` (other tools read and write it, so it is
//! exactly this). Missing optional fields mean "no requirement" or empty.
//!
//! shoppers: `{"id":"S1","lat":40.7128,"lon":-74.006,"radius_km":40.0,"capacity":2,"rating":8.5,
//! "completed":12,"age":34,"vehicle":true,"languages":["en","es"],"certs":["mspa-silver"],
//! "orgs":["O17"],"recent":["L42"]}`
//!
//! jobs: `{"id":"J1","location":"L42","lat":40.75,"lon":-73.99,"max_km":50.0,"min_age":21,
//! "max_age":null,"vehicle":false,"languages":["es"],"certs":[],"min_rating":7.0,
//! "min_completed":0,"blocked_orgs":["O17","O23"]}`

use std::io::{BufRead, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::geo::Coordinates;
use super::model::{Job, Shopper, Symbols, Tags, Visit};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ShopperLine {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct JobLine {
    pub id: String,
    pub location: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_km: Option<f64>,
    #[serde(default)]
    pub min_age: Option<u32>,
    #[serde(default)]
    pub max_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rating: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_completed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_orgs: Option<Vec<String>>,
}

/// A line that could not be read: which file, which line (from 1), which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: field `{}`: {}",
            self.file, self.line, self.field, self.problem
        )
    }
}

impl std::error::Error for LineError {}

fn number_ok(field: &str, value: f64) -> Result<(), (String, String)> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err((
            field.to_string(),
            format!("{value} must be a number of at least 0"),
        ))
    }
}

impl ShopperLine {
    pub fn into_shopper(self, symbols: &mut Symbols) -> Result<Shopper, (String, String)> {
        if self.id.is_empty() {
            return Err(("id".into(), "must not be empty".into()));
        }
        let position =
            Coordinates::new(self.lat, self.lon).map_err(|p| position_field(&p, p.clone()))?;
        let radius_km = self.radius_km.unwrap_or(0.0);
        number_ok("radius_km", radius_km)?;
        let rating = self.rating.unwrap_or(0.0);
        number_ok("rating", rating)?;
        let recent = self.recent.unwrap_or_default();
        Ok(Shopper {
            id: self.id.into(),
            position,
            radius_km,
            capacity: self.capacity.unwrap_or(1),
            rating,
            completed: self.completed.unwrap_or(0),
            age: self.age,
            vehicle: self.vehicle.unwrap_or(false),
            tags: Tags::new(
                &symbols.intern_all(&self.languages.unwrap_or_default()),
                &symbols.intern_all(&self.certs.unwrap_or_default()),
                &symbols.intern_all(&self.orgs.unwrap_or_default()),
            ),
            recent: recent
                .iter()
                .map(|l| Visit {
                    location: symbols.intern(l),
                    on: None,
                })
                .collect(),
            active: true,
        })
    }
}

impl JobLine {
    pub fn into_job(self, symbols: &mut Symbols) -> Result<Job, (String, String)> {
        if self.id.is_empty() {
            return Err(("id".into(), "must not be empty".into()));
        }
        let position =
            Coordinates::new(self.lat, self.lon).map_err(|p| position_field(&p, p.clone()))?;
        let max_km = self.max_km.unwrap_or(0.0);
        number_ok("max_km", max_km)?;
        let min_rating = self.min_rating.unwrap_or(0.0);
        number_ok("min_rating", min_rating)?;
        Ok(Job {
            id: self.id.into(),
            location: symbols.intern(&self.location),
            position,
            max_km,
            min_age: self.min_age,
            max_age: self.max_age,
            vehicle: self.vehicle.unwrap_or(false),
            languages: symbols.intern_all(&self.languages.unwrap_or_default()),
            certs: symbols.intern_all(&self.certs.unwrap_or_default()),
            min_rating,
            min_completed: self.min_completed.unwrap_or(0),
            blocked_orgs: symbols.intern_all(&self.blocked_orgs.unwrap_or_default()),
        })
    }
}

fn position_field(problem: &str, text: String) -> (String, String) {
    let field = if problem.starts_with("latitude") {
        "lat"
    } else {
        "lon"
    };
    (field.to_string(), text)
}

/// Reads a JSON Lines file, turning each line into `T` with `convert`. Blank lines are skipped.
pub fn read<L: serde::de::DeserializeOwned, T>(
    path: &Path,
    mut convert: impl FnMut(L) -> Result<T, (String, String)>,
) -> Result<Vec<T>, LineError> {
    let file_name = path.display().to_string();
    let io_error = |e: std::io::Error, line: usize| LineError {
        file: file_name.clone(),
        line,
        field: "-".into(),
        problem: format!("cannot read: {e}"),
    };
    // Counting the lines first sizes the list exactly: growing it by doubling would leave a
    // million-shopper load with over a hundred megabytes of freed copies behind.
    let lines = count_lines(path).map_err(|e| io_error(e, 0))?;
    let file = std::fs::File::open(path).map_err(|e| io_error(e, 0))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::with_capacity(lines);
    let mut line = String::new();
    for n in 0.. {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(io_error(e, n + 1)),
        }
        if line.trim().is_empty() {
            continue;
        }
        let fail = |field: String, problem: String| LineError {
            file: file_name.clone(),
            line: n + 1,
            field,
            problem,
        };
        let de = &mut serde_json::Deserializer::from_str(&line);
        let parsed: L = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut problem = inner.to_string();
            if let Some(i) = problem.rfind(" at line ") {
                problem.truncate(i);
            }
            let field = match problem.strip_prefix("missing field `") {
                Some(rest) => rest.split('`').next().unwrap_or("-").to_string(),
                None if path == "." => "-".to_string(),
                None => path,
            };
            fail(field, problem)
        })?;
        out.push(convert(parsed).map_err(|(field, problem)| fail(field, problem))?);
    }
    Ok(out)
}

/// Lines in a file (a last line without a newline counts).
fn count_lines(path: &Path) -> std::io::Result<usize> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    let (mut lines, mut last) = (0, b'\n');
    loop {
        let read = file.read(&mut buffer)?;
        let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
            break;
        };
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
        last = chunk[chunk.len() - 1];
    }
    Ok(lines + usize::from(last != b'\n'))
}

pub fn read_shoppers(path: &Path, symbols: &mut Symbols) -> Result<Vec<Shopper>, LineError> {
    read(path, |line: ShopperLine| line.into_shopper(symbols))
}

pub fn read_jobs(path: &Path, symbols: &mut Symbols) -> Result<Vec<Job>, LineError> {
    read(path, |line: JobLine| line.into_job(symbols))
}
