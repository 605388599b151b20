//! What wraps every answer: each request counted in the metrics, its request id and the
//! security headers set; and the answers for an address that is malformed or leads nowhere, a
//! problem document for the API and a friendly page elsewhere.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::state::AppState;

/// Counts the request under its route pattern, and sets the request id and the security
/// headers on the answer.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = known_method(req.method().as_str());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    // Browsers are told to keep to https only where the service is reached over https.
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.public_url.scheme() == "https");
    let mut res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        metrics.observe(method, &route, res.status().as_u16(), started.elapsed());
    }
    let request_id = res
        .request()
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let headers = res.headers_mut();
    if let Some(id) = request_id {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut text);
        if let Ok(id) = HeaderValue::from_str(text) {
            headers.insert(HeaderName::from_static("x-request-id"), id);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(res)
}

/// After any change (a request other than GET, HEAD or OPTIONS, whatever its answer), this
/// server reads the change log before answering: a session the change ended stops working
/// here at once (elsewhere within a second; see `auth::sessions`), and the answer carries the
/// version reached in `Incognito-Index-Version`, which a client sends back on its next read
/// so that any server answers it with the change in.
pub async fn follow_changes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::http::Method;
    let change = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?;
    if let (true, Some(state)) = (change, state) {
        let sessions = state.auth.sessions.clone();
        let caught_up = state.db.run(move |conn| Ok(sessions.catch_up(conn)?)).await;
        if caught_up.is_err() {
            // The change may have ended a session: memory waits for the next round.
            state.auth.sessions.distrust();
        }
        match caught_up {
            Ok(version) => {
                res.headers_mut().insert(
                    HeaderName::from_static(crate::auth::sessions::VERSION_HEADER),
                    HeaderValue::from(version),
                );
            }
            Err(e) => tracing::warn!(error = ?e, "reading the change log after a change failed"),
        }
    }
    Ok(res)
}

/// The pages run only the service's own script files (the report page's uploads), never an
/// inline one, and take styles, images, recordings and requests only from this service: an
/// injected `<script>` or `style` attribute does nothing, and no other site may frame a page or
/// receive a form.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// No page asks for the camera, the microphone, the position or payment.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// `HEAD` is answered as `GET` is, without the body: the request is routed as a `GET`, and the
/// HTTP layer, which saw the `HEAD`, sends the status and headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Metric labels must stay few: any method outside the standard ones counts as OTHER.
fn known_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

/// Whether an address belongs to a machine interface (the JSON API, the Data Rights
/// Protocol's endpoints), which answers errors as JSON rather than as pages.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/drp/")
}

/// A malformed path or query: a problem document for the API, a friendly page elsewhere.
pub fn bad_address(req: &HttpRequest, code: &'static str, detail: String) -> actix_web::Error {
    if is_api(req.path()) {
        AppError::bad_request(code, detail).into()
    } else {
        crate::web::PageError::shown(
            actix_web::http::StatusCode::BAD_REQUEST,
            "This address is not valid",
            &detail,
        )
        .into()
    }
}

/// An address no route answers.
pub async fn not_found(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    // A known address asked with a method it does not answer: 405, saying which it does.
    if let Some(methods) = crate::routing::allowed(req.path()) {
        let allow = methods.join(", ");
        let detail = format!(
            "{} {} is not possible: this address answers {allow}.",
            req.method(),
            req.path()
        );
        let status = actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
        let mut response: HttpResponse = if is_api(req.path()) {
            actix_web::ResponseError::error_response(&AppError::new(
                status,
                "method_not_allowed",
                detail,
            ))
        } else {
            actix_web::ResponseError::error_response(&crate::web::PageError::shown(
                status,
                "Not possible here",
                &detail,
            ))
        };
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, v);
        }
        return Ok(response);
    }
    if is_api(req.path()) {
        Err(AppError::not_found(format!("There is no {} {}.", req.method(), req.path())).into())
    } else {
        Err(crate::web::PageError::not_found(&req).into())
    }
}
