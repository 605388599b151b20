//! Cookies of the web session: the access and refresh tokens, and the CSRF secret.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use super::PageError;
use crate::auth::service::{self, CurrentUser, TokenPair};
use crate::keys::{constant_time_eq, random_token};
use crate::state::AppState;

pub const ACCESS_COOKIE: &str = "incognito_access";
pub const REFRESH_COOKIE: &str = "incognito_refresh";
pub const CSRF_COOKIE: &str = "incognito_csrf";
/// The device token of the last sign-in from this browser (see `auth::throttle`); it stays
/// after signing out, so that the browser stays known.
pub const DEVICE_COOKIE: &str = "incognito_device";

fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.cookies_secure())
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// The cookies that carry a freshly issued token pair.
pub fn token_cookies(state: &AppState, pair: &TokenPair) -> [Cookie<'static>; 2] {
    let refresh_secs =
        i64::try_from(state.settings.refresh_token_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    [
        cookie(
            state,
            ACCESS_COOKIE,
            pair.access_token.clone(),
            "/",
            i64::try_from(pair.expires_in).unwrap_or(900),
        ),
        // The refresh token is needed only to renew or end the session.
        cookie(
            state,
            REFRESH_COOKIE,
            pair.refresh_token.clone(),
            "/session",
            refresh_secs,
        ),
    ]
}

/// The device cookie of a sign-in: sent only to the sign-in form's address.
pub fn device_cookie(state: &AppState, pair: &TokenPair) -> Option<Cookie<'static>> {
    let token = pair.device_token.clone()?;
    Some(cookie(
        state,
        DEVICE_COOKIE,
        token,
        "/signin",
        crate::auth::throttle::DEVICE_TOKEN_DAYS * 24 * 3600,
    ))
}

/// Cookies that erase the token cookies.
pub fn cleared_cookies(state: &AppState) -> [Cookie<'static>; 2] {
    [
        cookie(state, ACCESS_COOKIE, String::new(), "/", 0),
        cookie(state, REFRESH_COOKIE, String::new(), "/session", 0),
    ]
}

/// A CSRF token for forms, and the cookie to set when the browser has none yet.
pub struct Csrf {
    pub token: String,
    pub new_cookie: Option<Cookie<'static>>,
}

/// The form token is a keyed hash of a random cookie: a page of another site can neither read
/// the cookie nor compute the token.
pub fn csrf(req: &HttpRequest, state: &AppState) -> Csrf {
    match req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 16)
    {
        Some(secret) => Csrf {
            token: state.auth.keys.keyed_hash("csrf", &secret),
            new_cookie: None,
        },
        None => {
            let secret = random_token(24);
            Csrf {
                token: state.auth.keys.keyed_hash("csrf", &secret),
                new_cookie: Some(cookie(state, CSRF_COOKIE, secret, "/", 30 * 24 * 3600)),
            }
        }
    }
}

/// Refuses a form post whose token does not match the browser's CSRF cookie.
pub fn check_csrf(req: &HttpRequest, state: &AppState, submitted: &str) -> Result<(), PageError> {
    let expected = req
        .cookie(CSRF_COOKIE)
        .map(|c| state.auth.keys.keyed_hash("csrf", c.value()));
    let ok = expected.is_some_and(|e| constant_time_eq(e.as_bytes(), submitted.as_bytes()));
    if ok {
        Ok(())
    } else {
        Err(PageError::shown(
            actix_web::http::StatusCode::FORBIDDEN,
            "This form has expired",
            "For your safety the form could not be accepted. Go back, reload the page and send it again.",
        ))
    }
}

/// A local path to return to after signing in; anything else becomes `/dashboard`.
/// Only plain path characters are allowed: no scheme, no `//` or `\\`, no whitespace or control
/// characters (browsers drop tabs and newlines, which would turn `/\t/evil` into `//evil`).
pub fn safe_next(next: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-_.~%?=&+".contains(c);
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/session")
                && n.len() <= 512
                && n.chars().all(allowed) =>
        {
            n.to_string()
        }
        _ => "/dashboard".to_string(),
    }
}

/// The signed-in user of a page request. Without a valid access cookie: renew the session
/// when a refresh cookie exists, else go to sign-in, then come back here.
pub async fn page_user(req: &HttpRequest, state: &AppState) -> Result<CurrentUser, PageError> {
    let here = req
        .uri()
        .path_and_query()
        .map_or("/dashboard", |p| p.as_str())
        .to_string();
    let next = url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>();
    if let Some(token) = req
        .cookie(ACCESS_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
    {
        let auth = state.auth.clone();
        let gpc = crate::http::gpc(req);
        if let Some(user) = service::authenticate_from_memory(&auth, &token, gpc, None) {
            return Ok(user);
        }
        if let Ok(user) = state
            .db
            .run(move |conn| service::authenticate_request(conn, &auth, &token, gpc))
            .await
        {
            return Ok(user);
        }
    }
    // The refresh cookie is scoped to /session, so the browser does not send it here: always
    // try a renewal, which falls back to sign-in.
    Err(PageError::SignIn {
        location: format!("/session/renew?next={next}"),
    })
}

/// The signed-in user of a page request, if their role is one of `roles`; else a 403 page.
pub async fn page_user_in(
    req: &HttpRequest,
    state: &AppState,
    roles: &[crate::auth::Role],
) -> Result<CurrentUser, PageError> {
    let user = page_user(req, state).await?;
    if !roles.contains(&user.role) {
        return Err(PageError::forbidden());
    }
    Ok(user)
}

/// A form post of a user in `roles`, its CSRF token checked.
pub async fn form_post_in(
    req: &HttpRequest,
    state: &AppState,
    roles: &[crate::auth::Role],
    form: actix_web::web::Form<std::collections::HashMap<String, String>>,
) -> Result<(CurrentUser, std::collections::HashMap<String, String>), PageError> {
    let user = page_user_in(req, state, roles).await?;
    let form = form.into_inner();
    check_csrf(
        req,
        state,
        form.get("csrf_token").map_or("", String::as_str),
    )?;
    Ok((user, form))
}

/// A form field, trimmed; None when missing or empty.
pub fn form_text(form: &std::collections::HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The problem of a refused request in one line of words (see [`super::form::problem_in_words`]).
pub fn problem_text(e: &crate::error::AppError) -> String {
    super::form::problem_in_words(e)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/shopper")), "/shopper");
        assert_eq!(
            safe_next(Some("/jobs?page=2&sort=date")),
            "/jobs?page=2&sort=date"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/session/renew",
            "shopper",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
