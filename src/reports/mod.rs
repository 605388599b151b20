//! Reports: a project's questionnaires (versioned documents of sections and questions, with
//! conditions in a small XLSForm-style expression language, and points), and the rules a
//! shopper's report follows (what is asked, what is missing, answers checked in the shopper's
//! words, the score). The web and API layers store and serve them; nothing here reads HTTP.

pub mod expr;
pub mod flags;
pub mod model;
pub mod review;
pub mod routes;
pub mod service;
pub mod store;
pub mod xlsform;

pub use model::{Answer, Answers, Question, QuestionKind, Questionnaire, QuestionnaireDoc, Score};
