//! Forms that carry a file (`multipart/form-data`): the CSV imports of stores and jobs. The
//! role is checked before the body is read, the CSRF token after; every part is bounded.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::HttpRequest;

use super::PageError;
use super::session::{check_csrf, page_user_in};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::state::AppState;

/// A posted form: its text fields and the content of its file field (None when no file was
/// chosen).
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<Vec<u8>>,
}

impl Upload {
    /// The CSV to import: the chosen file, else the text pasted in the `csv` field.
    pub fn csv(&mut self) -> Result<String, AppError> {
        match self.file.take() {
            Some(bytes) => crate::http::utf8_text(bytes),
            None => Ok(self.fields.remove("csv").unwrap_or_default()),
        }
    }
}

/// Most parts a form may have.
const MAX_PARTS: usize = 20;

/// Checks the role, reads the form (the whole body at most `limit` bytes; `file_field` is the
/// file), then checks the CSRF token.
pub async fn staff_upload(
    req: &HttpRequest,
    state: &AppState,
    roles: &[Role],
    multipart: Multipart,
    file_field: &str,
    limit: usize,
) -> Result<(CurrentUser, Upload), PageError> {
    let user = page_user_in(req, state, roles).await?;
    let upload = read(multipart, file_field, limit).await?;
    check_csrf(
        req,
        state,
        upload.fields.get("csrf_token").map_or("", String::as_str),
    )?;
    Ok((user, upload))
}

async fn read(multipart: Multipart, file_field: &str, limit: usize) -> Result<Upload, AppError> {
    let form = crate::http::read_form(multipart, file_field, limit, MAX_PARTS).await?;
    Ok(Upload {
        fields: form.fields,
        file: form.file,
    })
}
