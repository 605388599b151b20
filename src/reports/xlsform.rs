//! Questionnaires authored in a spreadsheet: XLSForm's `survey` sheet and `choices` sheet,
//! each saved as CSV, read into a questionnaire document (which is then checked like any
//! other). Columns of the survey: `type`, `name`, `label` (or `label::Language`), `required`,
//! `relevant`, `constraint`, `constraint_message`, `hint`, and ours: `points` (`yes=5 no=0` for
//! a yes/no or rating question), `allow_na`, `files` (`1` or `1-3` for a media question).
//! Choices: `list_name`, `name`, `label`, and ours: `points`.
//!
//! Types: `begin group` / `end group` (a section), `select_one LIST` (yes/no when the list is
//! exactly yes and no), `select_multiple LIST`, `integer`, `decimal`, `text`, `date`, `time`,
//! `range` (a rating, with `parameters` `start=1 end=5`), `image` (a photo), `audio`, and ours:
//! `receipt`, `yes_no`, `rating`.

use std::collections::{BTreeMap, HashMap};

use super::model::{Choice, FileCount, Question, QuestionKind, QuestionnaireDoc, Section};
use crate::error::FieldError;

/// Most rows of either sheet.
pub const MAX_ROWS: usize = 5000;

/// A sheet as rows of named cells, with each row's line number.
struct Sheet {
    rows: Vec<(usize, HashMap<String, String>)>,
}

fn read_sheet(text: &str, sheet: &str) -> Result<Sheet, FieldError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| FieldError::new(sheet, format!("cannot be read as CSV: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| {
            FieldError::new(sheet, format!("line {line} cannot be read as CSV: {e}"))
        })?;
        if rows.len() >= MAX_ROWS {
            return Err(FieldError::new(
                sheet,
                format!("has more than {MAX_ROWS} rows"),
            ));
        }
        let cells: HashMap<String, String> = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(h, v)| (h.clone(), v.to_string()))
            .collect();
        if !cells.is_empty() {
            rows.push((line, cells));
        }
    }
    Ok(Sheet { rows })
}

/// A row's cell: `label` also finds `label::English (en)`.
fn cell<'a>(row: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    row.get(name).map(String::as_str).or_else(|| {
        let prefix = format!("{name}::");
        let mut keys: Vec<&String> = row.keys().filter(|k| k.starts_with(&prefix)).collect();
        keys.sort();
        keys.first().and_then(|k| row.get(*k)).map(String::as_str)
    })
}

fn yes(value: Option<&str>) -> bool {
    matches!(
        value.map(str::to_ascii_lowercase).as_deref(),
        Some("yes" | "true" | "1" | "true()")
    )
}

/// `yes=5 no=0` (or with commas) as points by answer.
pub(crate) fn points_by_answer(text: &str) -> Result<BTreeMap<String, i64>, String> {
    text.split([' ', ','])
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (answer, points) = pair
                .split_once('=')
                .ok_or_else(|| format!("“{pair}” is not answer=points, like yes=5"))?;
            let points = points
                .parse::<i64>()
                .map_err(|_| format!("“{points}” is not a whole number of points"))?;
            Ok((answer.to_string(), points))
        })
        .collect()
}

/// `2` or `1-3` as a file count.
pub(crate) fn file_count(text: &str) -> Option<FileCount> {
    match text.split_once('-') {
        Some((lo, hi)) => Some(FileCount {
            min: lo.trim().parse().ok()?,
            max: hi.trim().parse().ok()?,
        }),
        None => {
            let n = text.trim().parse().ok()?;
            Some(FileCount { min: n, max: n })
        }
    }
}

/// Reads the two sheets into a document titled `title`; every problem at once, each named
/// by its sheet and line (`survey: line 7: …`).
pub fn read(title: &str, survey: &str, choices: &str) -> Result<QuestionnaireDoc, Vec<FieldError>> {
    let mut errors = Vec::new();
    let survey = match read_sheet(survey, "survey") {
        Ok(s) => s,
        Err(e) => return Err(vec![e]),
    };
    let choice_rows = if choices.trim().is_empty() {
        Sheet { rows: Vec::new() }
    } else {
        match read_sheet(choices, "choices") {
            Ok(s) => s,
            Err(e) => return Err(vec![e]),
        }
    };
    let mut lists: HashMap<String, Vec<Choice>> = HashMap::new();
    for (line, row) in &choice_rows.rows {
        let (Some(list), Some(name)) = (cell(row, "list_name"), cell(row, "name")) else {
            errors.push(FieldError::new(
                "choices",
                format!("line {line}: needs list_name and name"),
            ));
            continue;
        };
        let points = match cell(row, "points").map(str::parse::<i64>) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                errors.push(FieldError::new(
                    "choices",
                    format!("line {line}: points must be a whole number"),
                ));
                None
            }
        };
        lists.entry(list.to_string()).or_default().push(Choice {
            value: name.to_string(),
            label: cell(row, "label").unwrap_or(name).to_string(),
            points,
        });
    }

    let mut sections: Vec<Section> = Vec::new();
    let mut open: Option<Section> = None;
    let mut loose = Section {
        title: title.to_string(),
        questions: Vec::new(),
    };
    for (line, row) in &survey.rows {
        let at = |message: String| FieldError::new("survey", format!("line {line}: {message}"));
        let kind_text = cell(row, "type").unwrap_or("").to_ascii_lowercase();
        let mut words = kind_text.split_whitespace();
        let first = words.next().unwrap_or("");
        let list = words.next();
        match (first, list) {
            ("begin" | "begin_group", _) if first == "begin_group" || list == Some("group") => {
                if open.is_some() {
                    errors.push(at(
                        "a group inside a group: close the first with end group".into()
                    ));
                }
                let title = cell(row, "label")
                    .or(cell(row, "name"))
                    .unwrap_or("Section");
                open = Some(Section {
                    title: title.to_string(),
                    questions: Vec::new(),
                });
                continue;
            }
            ("end" | "end_group", _) if first == "end_group" || list == Some("group") => {
                match open.take() {
                    Some(section) => sections.push(section),
                    None => errors.push(at("end group without a begin group".into())),
                }
                continue;
            }
            _ => {}
        }
        let Some(name) = cell(row, "name") else {
            errors.push(at("a question needs a name".into()));
            continue;
        };
        let mut choices = Vec::new();
        let kind = match (first, list) {
            ("select_one" | "select_multiple", Some(list)) => {
                choices = lists.get(list).cloned().unwrap_or_default();
                if choices.is_empty() {
                    errors.push(at(format!("the choices sheet has no list “{list}”")));
                }
                let values: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                if first == "select_multiple" {
                    QuestionKind::MultipleChoice
                } else if values == ["yes", "no"] || values == ["no", "yes"] {
                    QuestionKind::YesNo
                } else {
                    QuestionKind::SingleChoice
                }
            }
            ("integer" | "decimal", None) => QuestionKind::Number,
            ("text", None) => QuestionKind::Text,
            ("date", None) => QuestionKind::Date,
            ("time", None) => QuestionKind::Time,
            ("range" | "rating", None) => QuestionKind::Rating,
            ("image", None) => QuestionKind::Photo,
            ("receipt", None) => QuestionKind::Receipt,
            ("audio", None) => QuestionKind::Audio,
            ("yes_no", None) => QuestionKind::YesNo,
            _ => {
                errors.push(at(format!(
                    "the type “{kind_text}” is not one this questionnaire takes (select_one, select_multiple, integer, decimal, text, date, time, range, image, receipt, audio, begin group, end group)"
                )));
                continue;
            }
        };
        let mut points = match cell(row, "points").map(points_by_answer) {
            None => BTreeMap::new(),
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                errors.push(at(e));
                BTreeMap::new()
            }
        };
        if kind == QuestionKind::YesNo {
            // A yes/no list's points become the question's.
            for c in choices.drain(..) {
                if let Some(p) = c.points {
                    points.insert(c.value, p);
                }
            }
        }
        let scale = (kind == QuestionKind::Rating).then(|| {
            cell(row, "parameters")
                .and_then(|p| {
                    p.split_whitespace()
                        .find_map(|kv| kv.strip_prefix("end="))
                        .and_then(|v| v.parse().ok())
                })
                .unwrap_or(5)
        });
        let files = if kind.is_media() {
            match cell(row, "files") {
                None => Some(FileCount {
                    min: u32::from(yes(cell(row, "required"))),
                    max: 1,
                }),
                Some(text) => match file_count(text) {
                    Some(f) => Some(f),
                    None => {
                        errors.push(at(format!("files “{text}” is not like 2 or 1-3")));
                        None
                    }
                },
            }
        } else {
            None
        };
        let question = Question {
            name: name.to_string(),
            label: cell(row, "label").unwrap_or(name).to_string(),
            kind,
            required: yes(cell(row, "required")),
            help: cell(row, "hint").map(str::to_string),
            relevant: cell(row, "relevant").map(str::to_string),
            constraint: cell(row, "constraint").map(str::to_string),
            constraint_message: cell(row, "constraint_message").map(str::to_string),
            choices,
            min: None,
            max: None,
            scale,
            points,
            allow_na: yes(cell(row, "allow_na")),
            files,
        };
        match open.as_mut() {
            Some(section) => section.questions.push(question),
            None => loose.questions.push(question),
        }
    }
    if let Some(section) = open {
        errors.push(FieldError::new(
            "survey",
            format!("the group “{}” is not closed by end group", section.title),
        ));
        sections.push(section);
    }
    if !loose.questions.is_empty() {
        sections.insert(0, loose);
    }
    if errors.is_empty() {
        Ok(QuestionnaireDoc {
            title: title.to_string(),
            sections,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::model::Questionnaire;

    const SURVEY: &str = "type,name,label::English (en),required,relevant,constraint,constraint_message,hint,points,parameters,files
begin group,order,Order,,,,,,,,
select_one yn,greeted,Were you greeted?,yes,,,,Within 10 seconds of stopping,,,
text,why_not,What happened instead?,yes,${greeted} = 'no',,,,,,
select_multiple items,items,What did you order?,,,,,,,,
end group,,,,,,,,,,
begin group,wait,Wait,,,,,,,,
integer,minutes,Minutes at the window,yes,,. >= 0 and . <= 120,Type the minutes from 0 to 120,,,,
range,speed,How fast was it?,,,,,,1=0 2=1 3=2 4=3 5=4,start=1 end=5,
receipt,receipt,Photo of the receipt,yes,,,,,,,1-2
end group,,,,,,,,,,
";
    const CHOICES: &str = "list_name,name,label,points
yn,yes,Yes,5
yn,no,No,0
items,fries,Fries,2
items,shake,Shake,3
";

    #[test]
    fn a_spreadsheet_questionnaire_reads_as_the_document() {
        let doc = read("Drive-thru visit", SURVEY, CHOICES).unwrap_or_else(|e| panic!("{e:?}"));
        let q = Questionnaire::check(doc).unwrap_or_else(|e| panic!("{e:?}"));
        let sections: Vec<&str> = q.doc.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(sections, ["Order", "Wait"]);
        let greeted = q.question("greeted").unwrap();
        assert_eq!(greeted.kind, QuestionKind::YesNo);
        assert_eq!(greeted.points.get("yes"), Some(&5));
        assert!(greeted.required && greeted.choices.is_empty());
        assert_eq!(
            greeted.help.as_deref(),
            Some("Within 10 seconds of stopping")
        );
        assert_eq!(
            q.question("why_not").unwrap().relevant.as_deref(),
            Some("${greeted} = 'no'")
        );
        let items = q.question("items").unwrap();
        assert_eq!(items.kind, QuestionKind::MultipleChoice);
        assert_eq!(items.choices[1].points, Some(3));
        let speed = q.question("speed").unwrap();
        assert_eq!((speed.kind, speed.scale), (QuestionKind::Rating, Some(5)));
        assert_eq!(speed.points.get("5"), Some(&4));
        let receipt = q.question("receipt").unwrap();
        assert_eq!(receipt.files, Some(FileCount { min: 1, max: 2 }));
        assert_eq!(
            q.question("minutes").unwrap().constraint_message.as_deref(),
            Some("Type the minutes from 0 to 120")
        );
    }

    #[test]
    fn spreadsheet_mistakes_are_named_by_line() {
        let survey = "type,name,label
begin group,a,A
note,hello,Hello
select_one missing,pick,Pick one
integer,,No name
";
        let errors = read("T", survey, "list_name,name,label\n").unwrap_err();
        let said: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        for expected in [
            "line 3: the type “note” is not one",
            "line 4: the choices sheet has no list “missing”",
            "line 5: a question needs a name",
            "the group “A” is not closed by end group",
        ] {
            assert!(
                said.iter().any(|s| s.starts_with(expected)),
                "{expected}: {said:?}"
            );
        }
    }
}
