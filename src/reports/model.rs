//! A project's questionnaire as a document (the same JSON that staff import and export): its
//! sections and questions, checked whole before it is stored; and the pure rules a report
//! follows: which questions are asked (conditions), which required ones are missing, whether an
//! answer fits its question (in the shopper's words), and the score.
//!
//! Scoring: each scored question gives points for its answer; the possible points are its best
//! answer's. A question not asked (its condition is false) or answered "not applicable" counts
//! neither way. The score is earned over possible, per section and overall.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::expr::{self, Expr, Value};
use crate::error::FieldError;

/// Most sections of a questionnaire.
pub const MAX_SECTIONS: usize = 50;
/// Most questions of a questionnaire, over all its sections.
pub const MAX_QUESTIONS: usize = 300;
/// Most choices of one question.
pub const MAX_CHOICES: usize = 100;
/// Most files one media question may ask for.
pub const MAX_FILES: u32 = 20;
/// Longest text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 5000;

/// The answer that takes a question out of the score, where the question allows it.
pub const NOT_APPLICABLE: &str = "n/a";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireDoc {
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    YesNo,
    SingleChoice,
    MultipleChoice,
    Number,
    Text,
    Date,
    Time,
    Rating,
    Receipt,
    Photo,
    Audio,
}

impl QuestionKind {
    pub fn is_media(self) -> bool {
        matches!(
            self,
            QuestionKind::Receipt | QuestionKind::Photo | QuestionKind::Audio
        )
    }

    fn has_choices(self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What the answer stores and conditions compare (`fries`).
    pub value: String,
    /// What the shopper reads (`Fries`).
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
}

/// How many files a media question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCount {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique in the questionnaire; conditions name it as `${name}`.
    pub name: String,
    pub label: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Ask only when this holds (`${q4} = 'no'`); reads questions before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// The answer must make this hold (`. >= 1 and . <= 10`), with `.` the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// What the shopper reads when the constraint does not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<String>,
    /// Single and multiple choice: the choices, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Number: the smallest and largest answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Rating: the top of the scale (1 to `scale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// Yes/no and rating: points per answer (`{"yes": 5, "no": 0}`, `{"1": 0, …, "5": 4}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub points: BTreeMap<String, i64>,
    /// Whether "not applicable" (`n/a`) is an answer; it leaves the question out of the score.
    #[serde(default)]
    pub allow_na: bool,
    /// Media: how many files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FileCount>,
}

/// A questionnaire checked whole: its conditions and constraints parsed once.
#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub doc: QuestionnaireDoc,
    relevant: HashMap<String, Expr>,
    constraint: HashMap<String, Expr>,
}

fn text_problem(text: &str, most: usize) -> Option<String> {
    let n = text.trim().chars().count();
    if n == 0 {
        Some("is required".into())
    } else if n > most {
        Some(format!("must be at most {most} characters"))
    } else {
        None
    }
}

impl Questionnaire {
    /// Checks a document whole: every problem at once, each named by where it is
    /// (`sections[0].questions[2].relevant`).
    pub fn check(doc: QuestionnaireDoc) -> Result<Questionnaire, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut relevant = HashMap::new();
        let mut constraint = HashMap::new();
        if let Some(p) = text_problem(&doc.title, 200) {
            errors.push(FieldError::new("title", p));
        }
        if doc.sections.is_empty() {
            errors.push(FieldError::new("sections", "needs at least one section"));
        }
        if doc.sections.len() > MAX_SECTIONS {
            errors.push(FieldError::new(
                "sections",
                format!("must be at most {MAX_SECTIONS}"),
            ));
        }
        let total: usize = doc.sections.iter().map(|s| s.questions.len()).sum();
        if total > MAX_QUESTIONS {
            errors.push(FieldError::new(
                "sections",
                format!("hold {total} questions; the most is {MAX_QUESTIONS}"),
            ));
        }
        // Names seen so far: a condition reads only questions before it.
        let mut before: HashSet<&str> = HashSet::new();
        let all: HashSet<&str> = doc
            .sections
            .iter()
            .flat_map(|s| s.questions.iter().map(|q| q.name.as_str()))
            .collect();
        for (si, section) in doc.sections.iter().enumerate() {
            let at = format!("sections[{si}]");
            if let Some(p) = text_problem(&section.title, 200) {
                errors.push(FieldError::new(format!("{at}.title"), p));
            }
            if section.questions.is_empty() {
                errors.push(FieldError::new(
                    format!("{at}.questions"),
                    "needs at least one question",
                ));
            }
            for (qi, q) in section.questions.iter().enumerate() {
                let at = format!("{at}.questions[{qi}]");
                let field = |f: &str| format!("{at}.{f}");
                if !expr::is_name(&q.name) {
                    errors.push(FieldError::new(
                        field("name"),
                        "must start with a letter and hold only letters, digits and _ (at most 64)",
                    ));
                } else if before.contains(q.name.as_str()) {
                    errors.push(FieldError::new(
                        field("name"),
                        format!("“{}” names another question already", q.name),
                    ));
                }
                if let Some(p) = text_problem(&q.label, 500) {
                    errors.push(FieldError::new(field("label"), p));
                }
                if q.help.as_deref().is_some_and(|h| h.chars().count() > 1000) {
                    errors.push(FieldError::new(
                        field("help"),
                        "must be at most 1000 characters",
                    ));
                }
                check_kind(q, &field, &mut errors);
                for (key, source, map) in [
                    ("relevant", &q.relevant, &mut relevant),
                    ("constraint", &q.constraint, &mut constraint),
                ] {
                    let Some(source) = source else { continue };
                    match Expr::parse(source) {
                        Err(e) => errors.push(FieldError::new(field(key), e.to_string())),
                        Ok(parsed) => {
                            for name in parsed.answers() {
                                let problem = if !all.contains(name) {
                                    Some(format!("reads ${{{name}}}, which no question is named"))
                                } else if !before.contains(name) && name != q.name {
                                    Some(format!(
                                        "reads ${{{name}}}, which comes later; a condition reads only the questions before it"
                                    ))
                                } else if key == "relevant" && name == q.name {
                                    Some("cannot depend on the question's own answer".into())
                                } else {
                                    None
                                };
                                if let Some(p) = problem {
                                    errors.push(FieldError::new(field(key), p));
                                }
                            }
                            if key == "relevant" && parsed.reads_current() {
                                errors.push(FieldError::new(
                                    field(key),
                                    "“.” is the answer being checked: it belongs in a constraint",
                                ));
                            }
                            map.insert(q.name.clone(), parsed);
                        }
                    }
                }
                if q.constraint_message
                    .as_deref()
                    .is_some_and(|m| m.chars().count() > 500)
                {
                    errors.push(FieldError::new(
                        field("constraint_message"),
                        "must be at most 500 characters",
                    ));
                }
                before.insert(q.name.as_str());
            }
        }
        if errors.is_empty() {
            Ok(Questionnaire {
                doc,
                relevant,
                constraint,
            })
        } else {
            Err(errors)
        }
    }

    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.doc.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// The names of the questions answered in the shopper's own words.
    pub fn text_questions(&self) -> Vec<String> {
        self.questions()
            .filter(|q| q.kind == QuestionKind::Text)
            .map(|q| q.name.clone())
            .collect()
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions().find(|q| q.name == name)
    }

    /// Which questions are asked, given these answers: in order, each condition reads the
    /// answers of the questions before it, where a question not asked reads as unanswered.
    pub fn asked(&self, answers: &Answers) -> HashSet<String> {
        let mut asked = HashSet::new();
        for q in self.questions() {
            let read = |name: &str| {
                if asked.contains(name) {
                    answers.value(name)
                } else {
                    Value::empty()
                }
            };
            let on = self
                .relevant
                .get(&q.name)
                .is_none_or(|c| c.holds(&read, &Value::empty()));
            if on {
                asked.insert(q.name.clone());
            }
        }
        asked
    }

    /// The required questions asked and not answered, in order.
    pub fn missing(&self, answers: &Answers) -> Vec<&Question> {
        let asked = self.asked(answers);
        self.questions()
            .filter(|q| q.required && asked.contains(&q.name))
            .filter(|q| match (q.kind.is_media(), answers.get(&q.name)) {
                // A media question needs at least its minimum of files, and one at least.
                (true, Some(Answer::Choices(files))) => {
                    files.len() < q.files.map_or(1, |f| f.min.max(1)) as usize
                }
                (_, answer) => answer.is_none(),
            })
            .collect()
    }

    /// The answers with each media question's files as uploaded (`files`: the question each
    /// file answers, and its id): what a shopper sends for a media question is never taken.
    pub fn with_files(&self, mut answers: Answers, files: &[(Option<String>, i64)]) -> Answers {
        for q in self.questions().filter(|q| q.kind.is_media()) {
            let ids: Vec<String> = files
                .iter()
                .filter(|(question, _)| question.as_deref() == Some(q.name.as_str()))
                .map(|(_, id)| id.to_string())
                .collect();
            if ids.is_empty() {
                answers.0.remove(&q.name);
            } else {
                answers.0.insert(q.name.clone(), Answer::Choices(ids));
            }
        }
        answers
    }

    /// What is wrong with `answer` to question `name`, in the shopper's words; the answer as
    /// stored when it fits. A constraint reads the report's other answers in `others`. Files
    /// are counted, not checked here (the media pipeline checks them).
    pub fn check_answer(
        &self,
        name: &str,
        answer: &Json,
        others: &Answers,
    ) -> Result<Answer, String> {
        let q = self
            .question(name)
            .ok_or_else(|| "This questionnaire has no such question.".to_string())?;
        let parsed = parse_answer(q, answer)?;
        if let Some(c) = self.constraint.get(name) {
            let current = parsed.value();
            if !c.holds(&|other| others.value(other), &current) && !parsed.is_not_applicable() {
                return Err(q
                    .constraint_message
                    .clone()
                    .unwrap_or_else(|| "This answer is not one the question accepts.".into()));
            }
        }
        Ok(parsed)
    }

    /// Reads a whole set of answers (a JSON object by question name; `null` is unanswered):
    /// each checked against its question, then every constraint against the set; every
    /// problem at once, each named `answers.<name>` in the shopper's words.
    pub fn read_answers(
        &self,
        given: &serde_json::Map<String, Json>,
    ) -> Result<Answers, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut answers = Answers::default();
        for (name, value) in given {
            if value.is_null() {
                continue;
            }
            match self.question(name) {
                None => errors.push(FieldError::new(
                    format!("answers.{name}"),
                    "This questionnaire has no such question.",
                )),
                Some(q) => match parse_answer(q, value) {
                    Ok(a) => {
                        answers.0.insert(name.clone(), a);
                    }
                    Err(e) => errors.push(FieldError::new(format!("answers.{name}"), e)),
                },
            }
        }
        for q in self.questions() {
            let (Some(c), Some(a)) = (self.constraint.get(&q.name), answers.get(&q.name)) else {
                continue;
            };
            if !a.is_not_applicable() && !c.holds(&|other| answers.value(other), &a.value()) {
                errors.push(FieldError::new(
                    format!("answers.{}", q.name),
                    q.constraint_message
                        .clone()
                        .unwrap_or_else(|| "This answer is not one the question accepts.".into()),
                ));
            }
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }

    /// The answers kept when a report is handed in: those of the questions asked.
    pub fn only_asked(&self, answers: &Answers) -> Answers {
        let asked = self.asked(answers);
        Answers(
            answers
                .0
                .iter()
                .filter(|(name, _)| asked.contains(*name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// The score of a report: per section and overall.
    /// Each asked question's points given `answers`, in order: (question, earned and possible
    /// when it counts in the score).
    pub fn question_scores<'a>(
        &'a self,
        answers: &Answers,
    ) -> Vec<(&'a Question, Option<(i64, i64)>)> {
        let asked = self.asked(answers);
        self.questions()
            .filter(|q| asked.contains(&q.name))
            .map(|q| (q, counted(q, &asked, answers)))
            .collect()
    }

    pub fn score(&self, answers: &Answers) -> Score {
        let asked = self.asked(answers);
        let mut sections = Vec::new();
        for s in &self.doc.sections {
            let mut earned = 0;
            let mut possible = 0;
            for q in &s.questions {
                if let Some((e, p)) = counted(q, &asked, answers) {
                    earned += e;
                    possible += p;
                }
            }
            sections.push(SectionScore {
                title: s.title.clone(),
                earned,
                possible,
            });
        }
        let earned = sections.iter().map(|s| s.earned).sum();
        let possible = sections.iter().map(|s| s.possible).sum();
        Score {
            sections,
            earned,
            possible,
        }
    }
}

fn check_kind(q: &Question, field: &dyn Fn(&str) -> String, errors: &mut Vec<FieldError>) {
    let kind = q.kind;
    if kind.has_choices() {
        if q.choices.len() < 2 {
            errors.push(FieldError::new(
                field("choices"),
                "needs at least two choices",
            ));
        }
        if q.choices.len() > MAX_CHOICES {
            errors.push(FieldError::new(
                field("choices"),
                format!("must be at most {MAX_CHOICES}"),
            ));
        }
        let mut seen = HashSet::new();
        for (ci, c) in q.choices.iter().enumerate() {
            if !expr::is_name(&c.value) {
                errors.push(FieldError::new(
                    field(&format!("choices[{ci}].value")),
                    "must start with a letter and hold only letters, digits and _",
                ));
            } else if !seen.insert(c.value.as_str()) {
                errors.push(FieldError::new(
                    field(&format!("choices[{ci}].value")),
                    format!("“{}” is another choice's value already", c.value),
                ));
            }
            if c.value == NOT_APPLICABLE {
                errors.push(FieldError::new(
                    field(&format!("choices[{ci}].value")),
                    "n/a is the not-applicable answer; set allow_na instead",
                ));
            }
            if let Some(p) = text_problem(&c.label, 300) {
                errors.push(FieldError::new(field(&format!("choices[{ci}].label")), p));
            }
        }
    } else if !q.choices.is_empty() {
        errors.push(FieldError::new(
            field("choices"),
            "only single and multiple choice questions have choices",
        ));
    }
    match (kind, q.min, q.max) {
        (QuestionKind::Number, Some(lo), Some(hi)) if lo > hi => {
            errors.push(FieldError::new(field("max"), "must not be less than min"))
        }
        (QuestionKind::Number, lo, hi)
            if lo.is_some_and(|v| !v.is_finite()) || hi.is_some_and(|v| !v.is_finite()) =>
        {
            errors.push(FieldError::new(field("min"), "must be a number"))
        }
        (QuestionKind::Number, _, _) | (_, None, None) => {}
        _ => errors.push(FieldError::new(
            field("min"),
            "only number questions have min and max",
        )),
    }
    match (kind, q.scale) {
        (QuestionKind::Rating, Some(2..=10)) => {}
        (QuestionKind::Rating, _) => errors.push(FieldError::new(
            field("scale"),
            "a rating needs a scale of 2 to 10",
        )),
        (_, Some(_)) => errors.push(FieldError::new(
            field("scale"),
            "only rating questions have a scale",
        )),
        _ => {}
    }
    match (kind.is_media(), q.files) {
        (true, Some(f)) if f.min > f.max || f.max == 0 || f.max > MAX_FILES => {
            errors.push(FieldError::new(
                field("files"),
                format!("needs 0 ≤ min ≤ max, with max from 1 to {MAX_FILES}"),
            ))
        }
        (false, Some(_)) => errors.push(FieldError::new(
            field("files"),
            "only receipt, photo and audio questions take files",
        )),
        _ => {}
    }
    // Points: yes/no and rating by answer, choices on the choices; other kinds none.
    if !q.points.is_empty() {
        let answers: Vec<String> = match (kind, q.scale) {
            (QuestionKind::YesNo, _) => vec!["yes".into(), "no".into()],
            (QuestionKind::Rating, Some(top)) => (1..=top).map(|v| v.to_string()).collect(),
            (QuestionKind::Rating, None) => Vec::new(),
            _ => {
                errors.push(FieldError::new(
                    field("points"),
                    "only yes/no and rating questions give points by answer (choices carry their own)",
                ));
                return;
            }
        };
        for (key, points) in &q.points {
            if !answers.contains(key) {
                errors.push(FieldError::new(
                    field("points"),
                    format!("“{key}” is not an answer of this question"),
                ));
            }
            if !(-1000..=1000).contains(points) {
                errors.push(FieldError::new(
                    field("points"),
                    "points must be from -1000 to 1000",
                ));
            }
        }
    }
    if q.choices
        .iter()
        .filter_map(|c| c.points)
        .any(|p| !(-1000..=1000).contains(&p))
    {
        errors.push(FieldError::new(
            field("choices"),
            "points must be from -1000 to 1000",
        ));
    }
}

/// The best points an answer to `q` can earn; `None` when the question is not scored.
fn best_points(q: &Question) -> Option<i64> {
    match q.kind {
        QuestionKind::YesNo | QuestionKind::Rating => q.points.values().copied().max(),
        QuestionKind::SingleChoice => q.choices.iter().filter_map(|c| c.points).max(),
        QuestionKind::MultipleChoice => {
            let scored: Vec<i64> = q.choices.iter().filter_map(|c| c.points).collect();
            (!scored.is_empty()).then(|| scored.iter().filter(|p| **p > 0).sum())
        }
        _ => None,
    }
}

/// What question `q` counts in the score given `answers`: (earned, possible), or None when it
/// counts neither way (not asked, no points, or "not applicable"). Unanswered: possible but
/// not earned (a required one blocks submission).
fn counted(q: &Question, asked: &HashSet<String>, answers: &Answers) -> Option<(i64, i64)> {
    if !asked.contains(&q.name) {
        return None;
    }
    let best = best_points(q)?;
    match answers.get(&q.name) {
        Some(a) if a.is_not_applicable() => None,
        Some(a) => Some((points_of(q, a), best)),
        None => Some((0, best)),
    }
}

fn points_of(q: &Question, a: &Answer) -> i64 {
    let of_choice = |v: &str| {
        q.choices
            .iter()
            .find(|c| c.value == v)
            .and_then(|c| c.points)
            .unwrap_or(0)
    };
    match a {
        Answer::Choice(v) if q.kind == QuestionKind::SingleChoice => of_choice(v),
        Answer::Choice(v) => q.points.get(v).copied().unwrap_or(0),
        Answer::Choices(vs) => vs.iter().map(|v| of_choice(v)).sum(),
        Answer::Number(n) => q.points.get(&expr_number(*n)).copied().unwrap_or(0),
    }
}

fn expr_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One answer, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Number(f64),
    /// Yes/no (`yes`, `no`, `n/a`), single choice, text, date (`2036-12-01`), time (`14:05`).
    Choice(String),
    /// Multiple choice: the values chosen; media: the files' ids.
    Choices(Vec<String>),
}

impl Answer {
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, Answer::Choice(v) if v == NOT_APPLICABLE)
    }

    /// The answer as conditions read it.
    pub fn value(&self) -> Value {
        match self {
            Answer::Number(n) => Value::Number(*n),
            Answer::Choice(v) => Value::Text(v.clone()),
            Answer::Choices(vs) => Value::Choices(vs.clone()),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Answer::Number(_) => false,
            Answer::Choice(v) => v.trim().is_empty(),
            Answer::Choices(vs) => vs.is_empty(),
        }
    }
}

/// A report's answers by question name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answers(pub BTreeMap<String, Answer>);

impl Answers {
    pub fn get(&self, name: &str) -> Option<&Answer> {
        self.0.get(name).filter(|a| !a.is_empty())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn value(&self, name: &str) -> Value {
        self.get(name).map_or_else(Value::empty, Answer::value)
    }
}

/// Reads `answer` as an answer to `q`, or says what is wrong in the shopper's words.
fn parse_answer(q: &Question, answer: &Json) -> Result<Answer, String> {
    let na = q.allow_na && answer.as_str() == Some(NOT_APPLICABLE);
    if na {
        return Ok(Answer::Choice(NOT_APPLICABLE.into()));
    }
    let choice_words = || {
        q.choices
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match q.kind {
        QuestionKind::YesNo => match answer.as_str() {
            Some(v @ ("yes" | "no")) => Ok(Answer::Choice(v.into())),
            _ => Err("Answer yes or no.".into()),
        },
        QuestionKind::SingleChoice => match answer.as_str() {
            Some(v) if q.choices.iter().any(|c| c.value == v) => Ok(Answer::Choice(v.into())),
            _ => Err(format!("Choose one of: {}.", choice_words())),
        },
        QuestionKind::MultipleChoice => {
            let list = answer
                .as_array()
                .ok_or_else(|| format!("Choose any of: {}.", choice_words()))?;
            let mut chosen = Vec::new();
            for v in list {
                match v.as_str() {
                    Some(v) if q.choices.iter().any(|c| c.value == v) => {
                        if !chosen.iter().any(|c: &String| c == v) {
                            chosen.push(v.to_string());
                        }
                    }
                    _ => return Err(format!("Choose any of: {}.", choice_words())),
                }
            }
            Ok(Answer::Choices(chosen))
        }
        QuestionKind::Number => {
            let n = answer
                .as_f64()
                .or_else(|| answer.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
                .filter(|n| n.is_finite())
                .ok_or_else(|| "Type a number, like 12 or 4.5.".to_string())?;
            match (q.min, q.max) {
                (Some(lo), Some(hi)) if n < lo || n > hi => Err(format!(
                    "Type a number from {} to {}.",
                    expr_number(lo),
                    expr_number(hi)
                )),
                (Some(lo), None) if n < lo => {
                    Err(format!("Type a number of at least {}.", expr_number(lo)))
                }
                (None, Some(hi)) if n > hi => {
                    Err(format!("Type a number of at most {}.", expr_number(hi)))
                }
                _ => Ok(Answer::Number(n)),
            }
        }
        QuestionKind::Rating => {
            let top = q.scale.unwrap_or(5);
            match answer.as_f64() {
                Some(v) if v.fract() == 0.0 && (1.0..=f64::from(top)).contains(&v) => {
                    Ok(Answer::Number(v))
                }
                _ => Err(format!("Choose a rating from 1 to {top}.")),
            }
        }
        QuestionKind::Text => match answer.as_str() {
            Some(t) if t.chars().count() <= MAX_TEXT_ANSWER => Ok(Answer::Choice(t.into())),
            Some(_) => Err(format!(
                "Keep the answer under {MAX_TEXT_ANSWER} characters."
            )),
            None => Err("Type the answer as text.".into()),
        },
        QuestionKind::Date => answer
            .as_str()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
            .map(|d| Answer::Choice(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| "Give the date like 2036-12-01.".into()),
        QuestionKind::Time => answer
            .as_str()
            .and_then(|t| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok())
            .map(|t| Answer::Choice(t.format("%H:%M").to_string()))
            .ok_or_else(|| "Give the time like 14:05.".into()),
        QuestionKind::Receipt | QuestionKind::Photo | QuestionKind::Audio => {
            let files = q.files.unwrap_or(FileCount { min: 1, max: 1 });
            let ids: Option<Vec<String>> = answer.as_array().and_then(|list| {
                list.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
            match ids {
                Some(ids) if ids.len() as u32 <= files.max => Ok(Answer::Choices(ids)),
                Some(_) => Err(format!(
                    "This question takes at most {} file{}.",
                    files.max,
                    if files.max == 1 { "" } else { "s" }
                )),
                None => Err("Send the files' ids as a list.".into()),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SectionScore {
    pub title: String,
    pub earned: i64,
    pub possible: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Score {
    pub sections: Vec<SectionScore>,
    pub earned: i64,
    pub possible: i64,
}

impl Score {
    /// Earned over possible, in percent; `None` when nothing was scored.
    pub fn percent(&self) -> Option<f64> {
        (self.possible > 0).then(|| self.earned as f64 * 100.0 / self.possible as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A drive-thru questionnaire, worked through by hand below.
    fn drive_thru() -> Questionnaire {
        let doc: QuestionnaireDoc = serde_json::from_value(json!({
            "title": "Drive-thru visit",
            "sections": [
                {"title": "Order", "questions": [
                    {"name": "greeted", "label": "Were you greeted?", "kind": "yes_no",
                     "required": true, "points": {"yes": 5, "no": 0}},
                    {"name": "why_not", "label": "What happened instead?", "kind": "text",
                     "required": true, "relevant": "${greeted} = 'no'"},
                    {"name": "items", "label": "What did you order?", "kind": "multiple_choice",
                     "choices": [
                        {"value": "fries", "label": "Fries", "points": 2},
                        {"value": "shake", "label": "Shake", "points": 3},
                        {"value": "none", "label": "Nothing else", "points": 0}]},
                    {"name": "fries_hot", "label": "Were the fries hot?", "kind": "yes_no",
                     "allow_na": true, "points": {"yes": 4, "no": 0},
                     "relevant": "selected(${items}, 'fries')"}
                ]},
                {"title": "Wait", "questions": [
                    {"name": "wait", "label": "Minutes at the window", "kind": "number",
                     "required": true, "min": 0, "max": 120},
                    {"name": "speed", "label": "How fast was it?", "kind": "rating", "scale": 5,
                     "points": {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4},
                     "constraint": ". >= 2 or ${wait} > 10",
                     "constraint_message": "Only a long wait can be rated 1."},
                    {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
                     "required": true, "files": {"min": 1, "max": 2}}
                ]}
            ]
        }))
        .unwrap();
        Questionnaire::check(doc).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn answers(pairs: serde_json::Value) -> Answers {
        let q = drive_thru();
        Answers(
            pairs
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        q.check_answer(k, v, &Answers::default()).unwrap(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn conditions_decide_what_is_asked_and_what_is_missing() {
        let q = drive_thru();
        let yes = answers(json!({"greeted": "yes", "items": ["shake"]}));
        let asked = q.asked(&yes);
        assert!(!asked.contains("why_not") && !asked.contains("fries_hot"));
        let missing: Vec<&str> = q.missing(&yes).iter().map(|q| q.name.as_str()).collect();
        assert_eq!(missing, ["wait", "receipt"]);
        let no = answers(json!({"greeted": "no", "items": ["fries"], "wait": 4}));
        let missing: Vec<&str> = q.missing(&no).iter().map(|q| q.name.as_str()).collect();
        assert_eq!(missing, ["why_not", "receipt"]);
        assert!(q.asked(&no).contains("fries_hot"));
    }

    /// Worked by hand: Order possible 5 (greeted) + 5 (fries 2 + shake 3) + 4 (fries_hot)
    /// = 14; Wait possible 4 (speed).
    #[test]
    fn scores_are_earned_over_possible_per_section() {
        let q = drive_thru();
        let report = answers(json!({
            "greeted": "yes", "items": ["fries", "none"], "fries_hot": "no",
            "wait": 3, "speed": 4, "receipt": ["m1"]
        }));
        let score = q.score(&report);
        assert_eq!(
            score.sections,
            [
                SectionScore {
                    title: "Order".into(),
                    earned: 5 + 2, // greeted, fries; the fries were not hot
                    possible: 14
                },
                SectionScore {
                    title: "Wait".into(),
                    earned: 3,
                    possible: 4
                },
            ]
        );
        assert_eq!((score.earned, score.possible), (10, 18));
        assert!((score.percent().unwrap() - 55.555).abs() < 0.01);

        // "Not applicable" leaves fries_hot out; a question not asked counts neither way.
        let na =
            answers(json!({"greeted": "no", "items": ["fries"], "fries_hot": "n/a", "speed": 5}));
        let score = q.score(&na);
        assert_eq!(
            (score.sections[0].earned, score.sections[0].possible),
            (2, 10)
        );
        let not_asked = answers(json!({"greeted": "yes", "items": ["shake"]}));
        assert_eq!(q.score(&not_asked).sections[0].possible, 10);
    }

    #[test]
    fn answers_are_checked_in_the_shoppers_words() {
        let q = drive_thru();
        let cases = [
            ("greeted", json!("maybe"), "Answer yes or no."),
            ("greeted", json!("n/a"), "Answer yes or no."),
            (
                "items",
                json!(["salad"]),
                "Choose any of: Fries, Shake, Nothing else.",
            ),
            ("wait", json!(121), "Type a number from 0 to 120."),
            ("wait", json!("soon"), "Type a number, like 12 or 4.5."),
            ("speed", json!(6), "Choose a rating from 1 to 5."),
            ("speed", json!(1), "Only a long wait can be rated 1."),
            (
                "receipt",
                json!(["a", "b", "c"]),
                "This question takes at most 2 files.",
            ),
        ];
        let none = Answers::default();
        for (name, answer, words) in cases {
            assert_eq!(
                q.check_answer(name, &answer, &none).unwrap_err(),
                words,
                "{name}"
            );
        }
        assert_eq!(
            q.check_answer("wait", &json!("7"), &none).unwrap(),
            Answer::Number(7.0)
        );
        assert_eq!(
            q.check_answer("fries_hot", &json!("n/a"), &none).unwrap(),
            Answer::Choice("n/a".into())
        );
        // A rating sent as 4.0 (as a page's number reads) is the rating 4.
        assert_eq!(
            q.check_answer("speed", &json!(4.0), &none).unwrap(),
            Answer::Number(4.0)
        );
        // A constraint reads the report's other answers: after a long wait, 1 is allowed.
        let long_wait = answers(json!({"wait": 25}));
        assert!(q.check_answer("speed", &json!(1), &long_wait).is_ok());
    }

    #[test]
    fn a_set_of_answers_is_read_whole() {
        let q = drive_thru();
        let given = json!({"greeted": "maybe", "speed": 1, "wait": 5, "nobody": 1, "items": null});
        let errors = q.read_answers(given.as_object().unwrap()).unwrap_err();
        let said: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(
            said,
            [
                "answers.greeted: Answer yes or no.",
                "answers.nobody: This questionnaire has no such question.",
                "answers.speed: Only a long wait can be rated 1.",
            ]
        );
        let given = json!({"greeted": "yes", "speed": 1, "wait": 25, "why_not": "kept"});
        let answers = q.read_answers(given.as_object().unwrap()).unwrap();
        assert_eq!(answers.0.len(), 4);
        // Handed in, an answer to a question not asked is dropped.
        assert!(!q.only_asked(&answers).has("why_not"));
    }

    #[test]
    fn a_document_is_checked_whole() {
        let doc: QuestionnaireDoc = serde_json::from_value(json!({
            "title": "",
            "sections": [{"title": "One", "questions": [
                {"name": "a", "label": "A", "kind": "yes_no", "relevant": "${b} = 'yes'"},
                {"name": "b", "label": "B", "kind": "single_choice", "choices": [{"value": "x", "label": "X"}]},
                {"name": "b", "label": "B again", "kind": "number", "min": 5, "max": 1},
                {"name": "c", "label": "C", "kind": "text", "relevant": "${nobody} = 1 and"},
                {"name": "d", "label": "D", "kind": "rating", "points": {"9": 1}, "scale": 5},
                {"name": "e", "label": "E", "kind": "photo", "files": {"min": 3, "max": 1}}
            ]}]
        }))
        .unwrap();
        let errors = Questionnaire::check(doc).unwrap_err();
        let said: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        for expected in [
            "title: is required",
            "sections[0].questions[0].relevant: reads ${b}, which comes later",
            "sections[0].questions[1].choices: needs at least two choices",
            "sections[0].questions[2].name: “b” names another question already",
            "sections[0].questions[2].max: must not be less than min",
            "sections[0].questions[3].relevant: the expression ends too early",
            "sections[0].questions[4].points: “9” is not an answer of this question",
            "sections[0].questions[5].files: needs 0 ≤ min ≤ max",
        ] {
            assert!(
                said.iter().any(|s| s.starts_with(expected)),
                "{expected} in {said:#?}"
            );
        }
    }

    #[test]
    fn the_document_survives_export_and_import() {
        let q = drive_thru();
        let exported = serde_json::to_value(&q.doc).unwrap();
        let again: QuestionnaireDoc = serde_json::from_value(exported).unwrap();
        assert_eq!(again, q.doc);
    }
}
