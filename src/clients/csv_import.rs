//! CSV imports of locations and jobs: a header row, one record a line. Every bad row is
//! reported with its line number, field and reason; the good rows are written together, in one
//! transaction, so an import never stops half-way and never leaves part of a row behind.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{AppError, FieldError};

/// One bad row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Rows that added a new record.
    pub created: usize,
    /// Rows that updated the record with the same code (a re-import).
    pub updated: usize,
    /// Rows left out, each with why.
    pub errors: Vec<RowError>,
}

/// A data row: its line and its cells by (lower-case) header name; empty cells left out.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: HashMap<String, String>,
}

impl Row {
    pub fn get(&self, name: &str) -> Option<&String> {
        self.cells.get(name)
    }
}

/// Most rows one import takes.
pub const MAX_ROWS: usize = 50_000;

/// Reads CSV text: the header must name every `required` column and nothing outside
/// `required` and `optional`. A malformed file is one problem naming its line.
pub fn read(text: &str, required: &[&str], optional: &[&str]) -> Result<Vec<Row>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::field("csv", format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for name in required {
        if !headers.iter().any(|h| h == name) {
            problems.push(FieldError::new(
                "csv",
                format!("the header row lacks the column `{name}`"),
            ));
        }
    }
    for h in &headers {
        if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            problems.push(FieldError::new(
                "csv",
                format!(
                    "the header row has an unknown column `{h}` (columns: {})",
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    let mut rows = Vec::new();
    // Line numbers counted from byte offsets: the reader's own count skips blank lines.
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut line_at = |byte: usize| {
        // A record's position is where the reader started on it, before skipped blank lines.
        let mut end = byte.min(text.len());
        while matches!(text.as_bytes().get(end), Some(b'\n' | b'\r')) {
            end += 1;
        }
        line += text.as_bytes()[counted_to.min(end)..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = end;
        line
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| {
                line_at(usize::try_from(p.byte()).unwrap_or(usize::MAX))
            });
            AppError::field("csv", format!("line {line} cannot be read: {e}"))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(AppError::field(
                "csv",
                format!("at most {MAX_ROWS} rows an import"),
            ));
        }
        let line = record.position().map_or(0, |p| {
            line_at(usize::try_from(p.byte()).unwrap_or(usize::MAX))
        });
        let cells = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(h, v)| (h.clone(), v.to_string()))
            .collect();
        rows.push(Row { line, cells });
    }
    if rows.is_empty() {
        return Err(AppError::field("csv", "the file has no data rows"));
    }
    Ok(rows)
}

/// Field errors of one row, as row errors: the first problem of each field (a cell that did
/// not parse is not also reported as missing).
pub fn row_errors(line: u64, fields: Vec<FieldError>) -> impl Iterator<Item = RowError> {
    let mut seen = std::collections::HashSet::new();
    fields
        .into_iter()
        .filter(move |f| seen.insert(f.field.clone()))
        .map(move |f| RowError {
            line,
            field: f.field,
            message: f.message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_their_line_numbers_and_quoted_cells() {
        let text = "Code,Name,notes\nS1,\"Main St, \"\"North\"\"\",x\n\nS2,Second,\n";
        let rows = read(text, &["code", "name"], &["notes"]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].get("name").unwrap(), "Main St, \"North\"");
        assert_eq!(rows[1].line, 4);
        assert!(rows[1].get("notes").is_none());
    }

    #[test]
    fn a_bad_header_names_every_problem() {
        let error = read("code,colour\nS1,red\n", &["code", "name"], &[]).unwrap_err();
        assert_eq!(error.fields.len(), 2);
        assert!(error.fields[0].message.contains("`name`"));
        assert!(error.fields[1].message.contains("`colour`"));
        assert!(read("code,name\n", &["code", "name"], &[]).is_err());
    }
}
