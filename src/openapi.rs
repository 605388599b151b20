//! The OpenAPI 3.1 description of the JSON API, generated from the handlers (`/api/openapi.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::assignments::routes as assignments;
use crate::auth::routes as auth;
use crate::clients::routes as clients;
use crate::media::routes as media;
use crate::panel::routes as panel;
use crate::pay::routes as pay;
use crate::portal::routes as portal;
use crate::privacy::routes as privacy;
use crate::qa::routes as qa;
use crate::reports::routes as reports;

#[derive(OpenApi)]
#[openapi(
    info(title = "Incognito API", description = "Privacy-first mystery-shopper panel."),
    paths(
        auth::register,
        auth::verify,
        auth::resend_verification,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::password_reset,
        auth::password_reset_confirm,
        auth::me,
        auth::change_password,
        auth::list_users,
        auth::create_user,
        auth::disable_user,
        auth::enable_user,
        panel::get_profile,
        panel::put_profile,
        panel::get_consents,
        panel::post_consents,
        panel::access_log,
        panel::disclosures,
        panel::export,
        panel::export_zip,
        panel::export_schema,
        panel::search_shoppers,
        panel::import_contacts,
        panel::get_shopper,
        panel::approve,
        panel::suspend,
        panel::reinstate,
        panel::rate,
        panel::reveal,
        clients::list_organizations,
        clients::create_organization,
        clients::merge_organization,
        clients::list_clients,
        clients::create_client,
        clients::get_client,
        clients::add_competitor,
        clients::list_locations,
        clients::create_location,
        clients::import_locations,
        clients::list_projects,
        clients::create_project,
        clients::list_jobs,
        clients::create_job,
        clients::import_jobs,
        clients::disqualify,
        assignments::job_board,
        assignments::job_detail,
        assignments::request,
        assignments::coverage_report,
        assignments::set_bonus,
        assignments::create_batch,
        assignments::get_batch,
        assignments::send_batch,
        assignments::offer,
        assignments::assign,
        assignments::job_assignments,
        assignments::my_assignments,
        assignments::my_calendar,
        assignments::job_candidates,
        assignments::accept,
        assignments::decline,
        assignments::cancel,
        assignments::reschedule,
        assignments::visit,
        assignments::reassign,
        assignments::location_closed,
        reports::list_questionnaires,
        reports::create_questionnaire,
        reports::import_xlsform,
        reports::get_questionnaire,
        reports::publish,
        reports::get_report,
        reports::save_report,
        reports::submit,
        reports::reopen,
        qa::queue,
        qa::claim,
        qa::approve,
        qa::revise,
        qa::reject,
        qa::hold,
        qa::release,
        qa::edit,
        qa::redact,
        qa::appeal,
        portal::list,
        portal::report,
        portal::export,
        portal::dispute,
        portal::dashboard,
        portal::alerts_chosen,
        portal::choose_alerts,
        portal::disputes,
        portal::answer,
        pay::earnings,
        privacy::create,
        privacy::share,
        privacy::list_csv,
        privacy::submit,
        privacy::verify,
        privacy::submit_by_agent,
        privacy::authorisation,
        privacy::queue,
        privacy::request,
        privacy::extend,
        privacy::complete,
        privacy::deny,
        privacy::mine,
        privacy::dashboard,
        privacy::record_of_processing,
        privacy::person_logs,
        privacy::agents,
        privacy::register_agent,
        privacy::revoke_agent,
        privacy::notice_versions,
        privacy::publish_notice,
        privacy::my_notice,
        privacy::accept_notice,
        pay::owed,
        pay::year,
        pay::year_export,
        pay::run,
        pay::payouts,
        pay::payout,
        pay::payout_csv,
        pay::paid,
        media::limits,
        media::upload,
        media::fetch,
        media::remove,
        media::upload_options,
        media::upload_create,
        media::upload_offset,
        media::upload_append,
        media::upload_cancel,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &CommonProblems),
    tags((name = "auth", description = "Registration and sign-in"), (name = "accounts", description = "Your account; staff accounts"), (name = "panel", description = "A shopper's application, profile, consents and data"), (name = "clients", description = "Organizations, clients and competitors (staff)"), (name = "assignments", description = "Requests, offers and assignments of jobs"), (name = "reports", description = "Questionnaires, and the reports shoppers hand in"), (name = "media", description = "Receipts, photos and recordings of a report"), (name = "portal", description = "Client reviewers: their own client's released reports"), (name = "qa", description = "QA's review of handed-in reports, and a shopper's appeal"), (name = "pay", description = "Shoppers' earnings, payouts, what is owed, year-end totals"), (name = "privacy", description = "Friendly-competitor shares"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The problem answers many operations share, declared once under `components/responses`
/// and referred to from each operation that may give them (where the operation does not
/// describe its own):
/// - every operation: 500 (an unexpected failure) and 503 (the database is unavailable);
/// - with a path or query parameter: 400 (a part of the address is not valid: an id that is
///   not a number, an unknown query parameter);
/// - with a path parameter: 404 (nothing has this id);
/// - with a body: 400 (not JSON), 413 (too large), 415 (not sent as JSON), 422 (a field is
///   missing or not valid; every bad field is named); with query parameters also 422;
/// - signed in: 401 (no valid access token) and 403 (the role may not do this).
struct CommonProblems;

/// The shared answers: (name, status, description).
const SHARED: &[(&str, &str, &str)] = &[
    (
        "BadRequest",
        "400",
        "The address or the body is not valid (an id that is not a number, an unknown query parameter, a body that is not JSON); the detail says which",
    ),
    (
        "Unauthorized",
        "401",
        "No valid access token: sign in (or refresh the token) and send it as `Authorization: Bearer …`",
    ),
    ("Forbidden", "403", "Your role may not do this"),
    (
        "NotFound",
        "404",
        "Nothing has this id (or it is not yours to see)",
    ),
    ("TooLarge", "413", "The body is too large"),
    ("NotJson", "415", "The body is not sent as application/json"),
    (
        "Invalid",
        "422",
        "A field is missing or not valid; every bad field is named in `errors`",
    ),
    (
        "ServerError",
        "500",
        "An unexpected failure (logged; the answer carries no detail)",
    ),
    (
        "Unavailable",
        "503",
        "The database is busy or unreachable; try again shortly",
    ),
];

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, _, description) in SHARED {
            let response = ResponseBuilder::new()
                .description(*description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build();
            components
                .responses
                .insert((*name).to_string(), RefOr::T(response));
        }
        let global_security = openapi.security.as_ref().is_some_and(|s| !s.is_empty());
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
                &mut item.options,
            ]
            .into_iter()
            .flatten()
            {
                let params = operation.parameters.as_deref().unwrap_or_default();
                let has = |place: ParameterIn| {
                    params
                        .iter()
                        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
                };
                let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
                let body = operation.request_body.is_some();
                let signed_in = operation
                    .security
                    .as_ref()
                    .map_or(global_security, |s| !s.is_empty());
                let wanted = [
                    ("BadRequest", in_path || in_query || body),
                    ("Unauthorized", signed_in),
                    ("Forbidden", signed_in),
                    ("NotFound", in_path),
                    ("TooLarge", body),
                    ("NotJson", body),
                    ("Invalid", body || in_query),
                    ("ServerError", true),
                    ("Unavailable", true),
                ];
                for (name, status, _) in SHARED {
                    if wanted.iter().any(|(n, w)| n == name && *w) {
                        operation
                            .responses
                            .responses
                            .entry((*status).to_string())
                            .or_insert_with(|| {
                                RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                            });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::ApiDoc;

    /// The values the document allows for a stored enum, and those the API sends.
    fn allowed(doc: &serde_json::Value, schema: &str) -> Vec<String> {
        doc["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} has no enum in the document"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    /// The document's values for `schema` are the names `all` is sent and stored with.
    fn documented_as_sent<T: serde::Serialize + Copy>(
        doc: &serde_json::Value,
        schema: &str,
        all: &[T],
        stored: fn(T) -> &'static str,
    ) {
        let sent: Vec<String> = all
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(allowed(doc, schema), sent, "{schema}");
        let names: Vec<&str> = all.iter().map(|v| stored(*v)).collect();
        assert_eq!(sent, names, "{schema}: what is sent is what is stored");
    }

    #[test]
    fn stored_enums_are_documented_with_the_names_they_are_sent_with() {
        use crate::assignments::model::State;
        use crate::auth::Role;
        use crate::clients::model::JobStatus;
        use crate::panel::model::Status;
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        documented_as_sent(&doc, "Role", Role::ALL, Role::as_str);
        documented_as_sent(&doc, "State", State::ALL, State::as_str);
        documented_as_sent(&doc, "Status", Status::ALL, Status::as_str);
        documented_as_sent(&doc, "JobStatus", JobStatus::ALL, JobStatus::as_str);
    }
}
