//! Extractors and helpers that every module's routes share: a JSON body extractor whose errors
//! name the problem and the field, and the client's address.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, FieldError};

/// The largest JSON body the API reads.
pub const JSON_LIMIT: usize = 512 * 1024;

/// A JSON request body. Wrong content type → 415, too large → 413, malformed → 400,
/// wrong type or missing field → 422 naming the field.
///
/// The extraction itself never fails: the outcome waits in [`ApiJson::into_inner`], so that a
/// handler checks the caller's role first and a caller without it hears 403, whatever it sent.
pub struct ApiJson<T>(AppResult<T>);

impl<T> ApiJson<T> {
    /// The body, or the problem with it. Call after the role check.
    pub fn into_inner(self) -> AppResult<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let declared_len = declared_length(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Ok(ApiJson(Err(AppError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON, with Content-Type: application/json.",
                ))));
            }
            let parsed = match read_body(&mut payload, declared_len, JSON_LIMIT).await {
                Ok(body) => parse_json(&body),
                Err(e) => Err(e),
            };
            Ok(ApiJson(parsed))
        })
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
pub fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// The whole body, refused with 413 past `limit` bytes (declared or sent).
async fn read_body(
    payload: &mut Payload,
    declared_len: Option<usize>,
    limit: usize,
) -> Result<web::BytesMut, AppError> {
    if declared_len.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request(
                "unreadable_body",
                format!("The body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The largest CSV import the API reads.
pub const CSV_LIMIT: usize = 8 * 1024 * 1024;

/// A CSV request body (`Content-Type: text/csv`), as UTF-8 text. Wrong content type → 415,
/// too large → 413, not UTF-8 → 400. Like [`ApiJson`], the outcome waits for the role check.
pub struct CsvText(AppResult<String>);

impl CsvText {
    /// The text, or the problem with it. Call after the role check.
    pub fn into_inner(self) -> AppResult<String> {
        self.0
    }
}

impl FromRequest for CsvText {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
        let declared_len = declared_length(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Ok(CsvText(Err(AppError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the file as CSV, with Content-Type: text/csv.",
                ))));
            }
            let text = match read_body(&mut payload, declared_len, CSV_LIMIT).await {
                Ok(body) => utf8_text(body.to_vec()),
                Err(e) => Err(e),
            };
            Ok(CsvText(text))
        })
    }
}

/// Bytes as text, or a problem saying where they stop being UTF-8.
pub fn utf8_text(bytes: Vec<u8>) -> AppResult<String> {
    String::from_utf8(bytes).map_err(|e| {
        AppError::bad_request(
            "malformed_csv",
            format!(
                "The file is not UTF-8 text (byte {} is not); save it as CSV UTF-8.",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

pub fn too_large(limit: usize) -> AppError {
    AppError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "The body is larger than the {} KiB this route accepts.",
            limit / 1024
        ),
    )
}

/// Parses JSON, telling a syntax error (400) from a body of the wrong shape (422, field named).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            "malformed_json",
            "The body is empty; send a JSON object.",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                AppError::bad_request(
                    "malformed_json",
                    format!(
                        "The body is not valid JSON (line {}, column {}).",
                        inner.line(),
                        inner.column()
                    ),
                )
            }
            _ => {
                let message = strip_position(&inner.to_string());
                let field = if path == "." || path.is_empty() {
                    missing_field_name(&message).unwrap_or_else(|| "body".into())
                } else {
                    path
                };
                AppError::validation(vec![FieldError::new(field, message)])
            }
        }
    })
}

/// serde says "missing field `password` at line 1 column 20"; keep the words, name the field.
fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The client's address: the peer, or, behind a trusted proxy, the last `X-Forwarded-For` hop
/// (the one our proxy appended; hops to its left come from the client and can be forged).
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    let forwarded = trust_proxy
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .last()
        })
        .flatten()
        .and_then(|v| v.rsplit(',').map(str::trim).find(|hop| !hop.is_empty()))
        .map(str::to_string);
    let raw = forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".into());
    // "1.2.3.4:5678" → "1.2.3.4"; IPv6 stays whole.
    match raw.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => raw,
    }
}

/// The bearer token of the `Authorization` header, if there is one.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Whether the browser sends the Global Privacy Control signal (`Sec-GPC: 1`), which the
/// service takes as a no to sharing.
pub fn gpc(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-gpc")
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"1")
}

/// A CSV download: `name` as the file's name, never cached (it holds personal data or
/// scores).
pub fn csv_attachment(name: &str, body: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body)
}

/// A `multipart/form-data` body: its text fields, and the content of its file field (None when
/// no file was chosen).
pub struct FormParts {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<Vec<u8>>,
}

/// Reads a `multipart/form-data` body: at most `max_parts` parts and `limit` bytes in all;
/// `file_field` is the file, every other part UTF-8 text.
pub async fn read_form(
    mut multipart: actix_multipart::Multipart,
    file_field: &str,
    limit: usize,
    max_parts: usize,
) -> AppResult<FormParts> {
    use futures_util::StreamExt;
    let malformed = |e: actix_multipart::MultipartError| {
        AppError::bad_request(
            "malformed_form",
            format!("The form could not be read ({e}); send it again."),
        )
    };
    let mut form = FormParts {
        fields: std::collections::HashMap::new(),
        file: None,
    };
    let mut budget = limit;
    let mut parts = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        parts += 1;
        if parts > max_parts {
            return Err(AppError::bad_request(
                "malformed_form",
                format!("The form has more than {max_parts} parts."),
            ));
        }
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes(budget)
            .await
            .map_err(|_| too_large(limit))?
            .map_err(malformed)?;
        budget -= bytes.len();
        if name == file_field {
            // A file input left empty still sends its part, with no content.
            if !bytes.is_empty() {
                form.file = Some(bytes.to_vec());
            }
        } else {
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                AppError::bad_request(
                    "malformed_form",
                    format!("The form field {name} is not UTF-8 text."),
                )
            })?;
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    #[test]
    fn behind_a_proxy_the_last_forwarded_hop_counts() {
        use actix_web::test::TestRequest;
        let req = TestRequest::default()
            .insert_header(("x-forwarded-for", "6.6.6.6, 203.0.113.9"))
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .to_http_request();
        assert_eq!(client_address(&req, true), "203.0.113.9");
        assert_eq!(client_address(&req, false), "10.0.0.2");
    }

    #[test]
    fn json_errors_name_the_problem() {
        let e = parse_json::<Login>(b"{\"email\": ").unwrap_err();
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Login>(b"{\"email\": \"a@b.c\"}").unwrap_err();
        assert_eq!(e.fields[0].field, "password");
        let e = parse_json::<Login>(b"{\"email\": 5, \"password\": \"x\"}").unwrap_err();
        assert_eq!(e.fields[0].field, "email");
        assert_eq!(e.status.as_u16(), 422);
    }
}
