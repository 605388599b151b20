//! Logging: `tracing` with the request id of tracing-actix-web on every line of a request;
//! plain text by default, JSON with `INCOGNITO_LOG_FORMAT=json`. `INCOGNITO_LOG` sets the filter.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// `filter` was checked when the settings were read (`INCOGNITO_LOG`).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
}

/// The span of one request: its id, method and path, and one line when it is answered.
/// Unlike tracing-actix-web's default it records no client address, user agent or query string:
/// logs must not keep personal data (addresses) or secrets (tokens in mailed links).
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        // Written out only where the span is logged (the filter lets `info` through).
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .copied()
            .map(|id| *id)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            path = %request.path(),
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.in_scope(|| tracing::info!(status, "answered"));
    }
}
