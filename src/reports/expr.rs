//! The small expression language of questionnaire conditions and constraints, in the style of
//! XLSForm (`${q4} = 'no'`, `selected(${q7}, 'fries') and ${q2} > 3`, `not(${q1} = 'yes')`).
//!
//! An expression is parsed once into a bounded syntax tree (at most `MAX_SOURCE` characters,
//! `MAX_NODES` nodes, `MAX_DEPTH` levels) and evaluated by walking it: it is data, never code.
//! The page's copy of this evaluator (`web/static/conditions.js`, fed the tree by `to_json`)
//! follows the same rules; both run the same hand-worked cases (`tests/fixtures/expr_cases.json`).
//!
//! Values follow XLSForm's: an unanswered question is the empty text `''`; a comparison of two
//! values that both read as numbers compares numbers, otherwise texts; `selected` and
//! `count-selected` read a multiple choice answer.

use std::fmt;

/// Longest expression accepted, in characters.
pub const MAX_SOURCE: usize = 1000;
/// Most nodes of one syntax tree.
pub const MAX_NODES: usize = 200;
/// Deepest nesting of one syntax tree.
pub const MAX_DEPTH: usize = 24;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Text(String),
    Bool(bool),
    /// `${name}`: a question's answer.
    Answer(String),
    /// `.`: the value being checked (in a constraint).
    Current,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    Arith(Box<Expr>, ArithOp, Box<Expr>),
    /// `selected(${q}, 'value')`
    Selected(Box<Expr>, Box<Expr>),
    /// `count-selected(${q})`
    CountSelected(Box<Expr>),
    /// `string-length(x)`
    StringLength(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// What an expression reads and gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
    /// The answer of a multiple choice question: the values chosen.
    Choices(Vec<String>),
}

impl Value {
    /// An unanswered question.
    pub fn empty() -> Self {
        Value::Text(String::new())
    }

    /// The value as a condition reads it: empty texts, no choices, 0 and false are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Text(t) => !t.is_empty(),
            Value::Choices(c) => !c.is_empty(),
        }
    }

    /// The value as a number, when it reads as one (a text of digits does).
    fn number(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Number(n) => Some(*n),
            Value::Text(t) => t.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            Value::Choices(_) => None,
        }
    }

    /// The value as a text: choices are joined by spaces, as XLSForm stores them.
    fn text(&self) -> String {
        match self {
            Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            Value::Number(n) => format_number(*n),
            Value::Text(t) => t.clone(),
            Value::Choices(c) => c.join(" "),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Why an expression was refused, in words, with where (a character position from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.at)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Answer(String),
    Word(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

struct Lexed {
    token: Token,
    at: usize,
}

fn lex(source: &str) -> Result<Vec<Lexed>, ParseError> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let err = |message: &str| ParseError {
            at,
            message: message.to_string(),
        };
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' => out.push(Lexed {
                token: Token::LParen,
                at,
            }),
            ')' => out.push(Lexed {
                token: Token::RParen,
                at,
            }),
            ',' => out.push(Lexed {
                token: Token::Comma,
                at,
            }),
            '+' | '-' | '*' => out.push(Lexed {
                token: Token::Op(match c {
                    '+' => "+",
                    '-' => "-",
                    _ => "*",
                }),
                at,
            }),
            '=' => out.push(Lexed {
                token: Token::Op("="),
                at,
            }),
            '!' | '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => return Err(err("“!” must be followed by “=”")),
                };
                if eq {
                    i += 1;
                }
                out.push(Lexed {
                    token: Token::Op(op),
                    at,
                });
            }
            '\'' | '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .ok_or_else(|| err("a text in quotes is not closed"))?;
                let text: String = chars[i + 1..i + 1 + close].iter().collect();
                out.push(Lexed {
                    token: Token::Text(text),
                    at,
                });
                i += close + 2;
                continue;
            }
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err(err("a question is written ${name}"));
                }
                let close = chars[i + 2..]
                    .iter()
                    .position(|&q| q == '}')
                    .ok_or_else(|| err("${ is not closed by }"))?;
                let name: String = chars[i + 2..i + 2 + close].iter().collect();
                if !is_name(&name) {
                    return Err(err(&format!(
                        "“{name}” is not a question name (letters, digits and _, starting with a letter)"
                    )));
                }
                out.push(Lexed {
                    token: Token::Answer(name),
                    at,
                });
                i += close + 3;
                continue;
            }
            '.' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => out.push(Lexed {
                token: Token::Dot,
                at,
            }),
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| err(&format!("“{text}” is not a number")))?;
                out.push(Lexed {
                    token: Token::Number(n),
                    at,
                });
                continue;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(Lexed {
                    token: Token::Word(word),
                    at,
                });
                continue;
            }
            other => return Err(err(&format!("“{other}” has no meaning here"))),
        }
        i += 1;
    }
    Ok(out)
}

/// Whether `name` can name a question: a letter, then letters, digits and `_`, at most 64.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

struct Parser {
    tokens: Vec<Lexed>,
    next: usize,
    nodes: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|l| &l.token)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |l| l.at)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            at: self.at(),
            message: message.into(),
        })
    }

    fn node(&mut self, depth: usize) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return self.error(format!(
                "the expression is too long (more than {MAX_NODES} parts)"
            ));
        }
        if depth > MAX_DEPTH {
            return self.error(format!(
                "the expression nests too deeply (more than {MAX_DEPTH} levels)"
            ));
        }
        Ok(())
    }

    fn word_is(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    fn expect(&mut self, token: Token, words: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&token) {
            self.next += 1;
            Ok(())
        } else {
            self.error(format!("{words} is missing"))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.and(depth)?;
        while self.word_is("or") {
            self.next += 1;
            self.node(depth)?;
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.not(depth)?;
        while self.word_is("and") {
            self.next += 1;
            self.node(depth)?;
            let right = self.not(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if self.word_is("not") {
            self.next += 1;
            self.node(depth)?;
            let inner = self.not(depth + 1)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.compare(depth)
    }

    fn compare(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let left = self.sum(depth)?;
        let op = match self.peek() {
            Some(Token::Op("=")) => CompareOp::Eq,
            Some(Token::Op("!=")) => CompareOp::Ne,
            Some(Token::Op("<")) => CompareOp::Lt,
            Some(Token::Op("<=")) => CompareOp::Le,
            Some(Token::Op(">")) => CompareOp::Gt,
            Some(Token::Op(">=")) => CompareOp::Ge,
            _ => return Ok(left),
        };
        self.next += 1;
        self.node(depth)?;
        let right = self.sum(depth)?;
        if matches!(
            self.peek(),
            Some(Token::Op("=" | "!=" | "<" | "<=" | ">" | ">="))
        ) {
            return self.error("compare two values at a time; join comparisons with and / or");
        }
        Ok(Expr::Compare(Box::new(left), op, Box::new(right)))
    }

    fn sum(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.product(depth)?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("+")) => ArithOp::Add,
                Some(Token::Op("-")) => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.next += 1;
            self.node(depth)?;
            let right = self.product(depth)?;
            left = Expr::Arith(Box::new(left), op, Box::new(right));
        }
    }

    fn product(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.unary(depth)?;
        loop {
            let op = match self.peek() {
                Some(Token::Op("*")) => ArithOp::Mul,
                Some(Token::Word(w)) if w == "div" => ArithOp::Div,
                Some(Token::Word(w)) if w == "mod" => ArithOp::Mod,
                _ => return Ok(left),
            };
            self.next += 1;
            self.node(depth)?;
            let right = self.unary(depth)?;
            left = Expr::Arith(Box::new(left), op, Box::new(right));
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Token::Op("-")) {
            self.next += 1;
            self.node(depth)?;
            let inner = self.unary(depth + 1)?;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.primary(depth)
    }

    /// A function's arguments, `count` of them; a wrong count is said at the name, `at`.
    fn arguments(
        &mut self,
        depth: usize,
        name: &str,
        count: usize,
        at: usize,
    ) -> Result<Vec<Expr>, ParseError> {
        self.expect(Token::LParen, &format!("“(” after {name}"))?;
        let mut args = Vec::new();
        if self.peek() != Some(&Token::RParen) {
            loop {
                args.push(self.or(depth + 1)?);
                if self.peek() == Some(&Token::Comma) {
                    self.next += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(Token::RParen, &format!("“)” closing {name}("))?;
        if args.len() != count {
            return Err(ParseError {
                at,
                message: format!(
                    "{name}() takes {count} value{}, not {}",
                    if count == 1 { "" } else { "s" },
                    args.len()
                ),
            });
        }
        Ok(args)
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        self.node(depth)?;
        let Some(token) = self.peek().cloned() else {
            return self.error("the expression ends too early");
        };
        let at = self.at();
        self.next += 1;
        match token {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::Text(t) => Ok(Expr::Text(t)),
            Token::Answer(name) => Ok(Expr::Answer(name)),
            Token::Dot => Ok(Expr::Current),
            Token::LParen => {
                let inner = self.or(depth + 1)?;
                self.expect(Token::RParen, "“)”")?;
                Ok(inner)
            }
            Token::Word(word) => {
                let mut args = match word.as_str() {
                    "true" | "false" => self.arguments(depth, &word, 0, at)?,
                    "not" | "count-selected" | "string-length" => {
                        self.arguments(depth, &word, 1, at)?
                    }
                    "selected" => self.arguments(depth, &word, 2, at)?,
                    _ => {
                        self.next -= 1;
                        return self.error(format!(
                            "“{word}” is not a function this language knows (selected, count-selected, string-length, not, true, false)"
                        ));
                    }
                }
                .into_iter();
                let mut arg = || Box::new(args.next().unwrap_or(Expr::Bool(false)));
                Ok(match word.as_str() {
                    "true" => Expr::Bool(true),
                    "false" => Expr::Bool(false),
                    "not" => Expr::Not(arg()),
                    "count-selected" => Expr::CountSelected(arg()),
                    "string-length" => Expr::StringLength(arg()),
                    _ => {
                        let (a, b) = (arg(), arg());
                        Expr::Selected(a, b)
                    }
                })
            }
            Token::RParen | Token::Comma | Token::Op(_) => {
                self.next -= 1;
                self.error("a value is missing here")
            }
        }
    }
}

impl Expr {
    /// Parses `source` into a bounded tree, or says what is wrong and where.
    pub fn parse(source: &str) -> Result<Expr, ParseError> {
        let length = source.chars().count();
        if length > MAX_SOURCE {
            return Err(ParseError {
                at: MAX_SOURCE + 1,
                message: format!("the expression is longer than {MAX_SOURCE} characters"),
            });
        }
        let tokens = lex(source)?;
        if tokens.is_empty() {
            return Err(ParseError {
                at: 1,
                message: "the expression is empty".into(),
            });
        }
        let mut parser = Parser {
            tokens,
            next: 0,
            nodes: 0,
            end: length + 1,
        };
        let expr = parser.or(0)?;
        if parser.next < parser.tokens.len() {
            return parser
                .error("this part does not belong to the expression; join parts with and / or");
        }
        Ok(expr)
    }

    /// The questions the expression reads, in the order they appear, each once.
    pub fn answers(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Answer(name) = e
                && !names.contains(&name.as_str())
            {
                names.push(name.as_str());
            }
        });
        names
    }

    /// Whether the expression reads `.`, the value being checked.
    pub fn reads_current(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Current));
        found
    }

    fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match self {
            Expr::Number(_) | Expr::Text(_) | Expr::Bool(_) | Expr::Answer(_) | Expr::Current => {}
            Expr::Not(a) | Expr::Neg(a) | Expr::CountSelected(a) | Expr::StringLength(a) => {
                a.walk(visit)
            }
            Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::Compare(a, _, b)
            | Expr::Arith(a, _, b)
            | Expr::Selected(a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
        }
    }

    /// The expression's value, reading answers through `answer` (an unanswered or unknown
    /// question gives `Value::empty()`) and `.` as `current`. The tree is bounded, so this
    /// ends quickly whatever the input.
    pub fn eval(&self, answer: &dyn Fn(&str) -> Value, current: &Value) -> Value {
        match self {
            Expr::Number(n) => Value::Number(*n),
            Expr::Text(t) => Value::Text(t.clone()),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Answer(name) => answer(name),
            Expr::Current => current.clone(),
            Expr::Not(a) => Value::Bool(!a.eval(answer, current).truthy()),
            Expr::Neg(a) => Value::Number(-a.eval(answer, current).number().unwrap_or(f64::NAN)),
            Expr::And(a, b) => {
                Value::Bool(a.eval(answer, current).truthy() && b.eval(answer, current).truthy())
            }
            Expr::Or(a, b) => {
                Value::Bool(a.eval(answer, current).truthy() || b.eval(answer, current).truthy())
            }
            Expr::Compare(a, op, b) => Value::Bool(compare(
                &a.eval(answer, current),
                *op,
                &b.eval(answer, current),
            )),
            Expr::Arith(a, op, b) => {
                let (x, y) = (
                    a.eval(answer, current).number().unwrap_or(f64::NAN),
                    b.eval(answer, current).number().unwrap_or(f64::NAN),
                );
                Value::Number(match op {
                    ArithOp::Add => x + y,
                    ArithOp::Sub => x - y,
                    ArithOp::Mul => x * y,
                    ArithOp::Div => x / y,
                    ArithOp::Mod => x % y,
                })
            }
            Expr::Selected(a, b) => {
                let wanted = b.eval(answer, current).text();
                Value::Bool(match a.eval(answer, current) {
                    Value::Choices(c) => c.contains(&wanted),
                    other => other.text().split_whitespace().any(|v| v == wanted),
                })
            }
            Expr::CountSelected(a) => Value::Number(match a.eval(answer, current) {
                Value::Choices(c) => c.len() as f64,
                other => other.text().split_whitespace().count() as f64,
            }),
            Expr::StringLength(a) => {
                Value::Number(a.eval(answer, current).text().chars().count() as f64)
            }
        }
    }

    /// The tree as data for the page's evaluator (`web/static/conditions.js`): each node an
    /// array whose first item names it, e.g. `["cmp", "=", ["ans", "q4"], ["text", "no"]]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let arith = |op: &ArithOp| match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "div",
            ArithOp::Mod => "mod",
        };
        let compare = |op: &CompareOp| match op {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        };
        match self {
            Expr::Number(n) => json!(["num", n]),
            Expr::Text(t) => json!(["text", t]),
            Expr::Bool(b) => json!(["bool", b]),
            Expr::Answer(name) => json!(["ans", name]),
            Expr::Current => json!(["cur"]),
            Expr::Not(a) => json!(["not", a.to_json()]),
            Expr::Neg(a) => json!(["neg", a.to_json()]),
            Expr::And(a, b) => json!(["and", a.to_json(), b.to_json()]),
            Expr::Or(a, b) => json!(["or", a.to_json(), b.to_json()]),
            Expr::Compare(a, op, b) => json!(["cmp", compare(op), a.to_json(), b.to_json()]),
            Expr::Arith(a, op, b) => json!(["arith", arith(op), a.to_json(), b.to_json()]),
            Expr::Selected(a, b) => json!(["selected", a.to_json(), b.to_json()]),
            Expr::CountSelected(a) => json!(["count-selected", a.to_json()]),
            Expr::StringLength(a) => json!(["string-length", a.to_json()]),
        }
    }

    /// The expression read as a condition: true or false.
    pub fn holds(&self, answer: &dyn Fn(&str) -> Value, current: &Value) -> bool {
        self.eval(answer, current).truthy()
    }
}

/// XLSForm's comparison: numbers when both sides read as numbers, texts otherwise; an order
/// comparison with an empty side is false (an unanswered question is neither more nor less).
fn compare(a: &Value, op: CompareOp, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (a.number(), b.number()) {
        return match op {
            CompareOp::Eq => x == y,
            CompareOp::Ne => x != y,
            CompareOp::Lt => x < y,
            CompareOp::Le => x <= y,
            CompareOp::Gt => x > y,
            CompareOp::Ge => x >= y,
        };
    }
    let (x, y) = (a.text(), b.text());
    match op {
        CompareOp::Eq => x == y,
        CompareOp::Ne => x != y,
        _ if x.is_empty() || y.is_empty() => false,
        CompareOp::Lt => x < y,
        CompareOp::Le => x <= y,
        CompareOp::Gt => x > y,
        CompareOp::Ge => x >= y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn holds(source: &str, given: &HashMap<String, Value>) -> bool {
        let expr = Expr::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        expr.holds(
            &|name| given.get(name).cloned().unwrap_or_else(Value::empty),
            &Value::empty(),
        )
    }

    fn text(t: &str) -> Value {
        Value::Text(t.into())
    }

    /// The cases worked out by hand, shared with the page's evaluator (the browser test runs
    /// the same file through `conditions.js`): answers typed as JSON (a number, a text, a list
    /// of choices) and each expression with whether it holds.
    const SHARED_CASES: &str = include_str!("../../tests/fixtures/expr_cases.json");

    /// An answer as the shared cases write it.
    fn case_value(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::Array(items) => Value::Choices(
                items
                    .iter()
                    .map(|i| i.as_str().unwrap_or_default().to_string())
                    .collect(),
            ),
            other => text(other.as_str().unwrap_or_default()),
        }
    }

    /// Cases worked out by hand, as XLSForm reads them.
    #[test]
    fn conditions_read_as_xlsform_reads_them() {
        let shared: serde_json::Value = serde_json::from_str(SHARED_CASES).expect("cases");
        let given: HashMap<String, Value> = shared["answers"]
            .as_object()
            .expect("answers")
            .iter()
            .map(|(k, v)| (k.clone(), case_value(v)))
            .collect();
        let cases = shared["cases"].as_array().expect("cases");
        assert!(cases.len() >= 30, "the shared file holds the cases");
        for case in cases {
            let (source, expected) = (case[0].as_str().expect("source"), case[1].as_bool());
            assert_eq!(Some(holds(source, &given)), expected, "{source}");
        }
    }

    #[test]
    fn the_tree_as_data_keeps_its_shape() {
        let expr = Expr::parse("not(${q4} = 'no') or count-selected(${q7}) > 1 + 2").unwrap();
        assert_eq!(
            expr.to_json(),
            serde_json::json!([
                "or",
                ["not", ["cmp", "=", ["ans", "q4"], ["text", "no"]]],
                [
                    "cmp",
                    ">",
                    ["count-selected", ["ans", "q7"]],
                    ["arith", "+", ["num", 1.0], ["num", 2.0]]
                ]
            ])
        );
    }

    #[test]
    fn a_constraint_reads_the_value_being_checked() {
        let expr = Expr::parse(". >= 1 and . <= 10").unwrap();
        assert!(expr.reads_current());
        let none = |_: &str| Value::empty();
        assert!(expr.holds(&none, &Value::Number(7.0)));
        assert!(!expr.holds(&none, &Value::Number(11.0)));
        assert!(!expr.holds(&none, &Value::empty()));
        assert!(Expr::parse(".5 < .").unwrap().holds(&none, &text("2")));
    }

    #[test]
    fn the_questions_read_are_listed_once() {
        let expr = Expr::parse("${a} = 1 and (${b} = 2 or selected(${a}, 'x'))").unwrap();
        assert_eq!(expr.answers(), ["a", "b"]);
    }

    #[test]
    fn mistakes_are_named_with_where_they_are() {
        let cases: &[(&str, &str, usize)] = &[
            ("", "empty", 1),
            ("${q4} = ", "ends too early", 9),
            ("${q4} = 'no", "not closed", 9),
            ("${q 4} = 1", "not a question name", 1),
            ("$q4 = 1", "written ${name}", 1),
            ("${q4} == 'no'", "a value is missing", 8),
            ("${q4} = 'no' ${q5}", "does not belong", 14),
            ("1 < 2 < 3", "two values at a time", 7),
            ("eval('x')", "not a function", 1),
            ("selected(${q7})", "takes 2 values, not 1", 1),
            ("(${a} = 1", "“)” is missing", 10),
            ("${a} ! 1", "must be followed by", 6),
            ("${a} = 1 ; drop", "has no meaning", 10),
            ("1.2.3 = 1", "not a number", 1),
        ];
        for (source, words, at) in cases {
            let e = Expr::parse(source).expect_err(source);
            assert!(e.message.contains(words), "{source}: {e}");
            assert_eq!(e.at, *at, "{source}: {e}");
        }
    }

    #[test]
    fn a_tree_is_bounded() {
        let long = "1 = 1 and ".repeat(101) + "true()";
        assert!(
            Expr::parse(&long)
                .expect_err("long")
                .message
                .contains("longer than")
        );
        let many = "${a} = 1 or ".repeat(60) + "${a} = 2";
        assert!(
            Expr::parse(&many)
                .expect_err("many")
                .message
                .contains("too long")
        );
        let deep = "(".repeat(40) + "1" + &")".repeat(40);
        assert!(
            Expr::parse(&deep)
                .expect_err("deep")
                .message
                .contains("nests too deeply")
        );
        let nots = "not ".repeat(40) + "true()";
        assert!(Expr::parse(&nots).is_err(), "a chain of not is bounded too");
    }
}
