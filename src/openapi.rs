//! The OpenAPI 3.1 description of the JSON API, generated from the handlers (`/api/openapi.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::assignments::routes as assignments;
use crate::auth::routes as auth;
use crate::clients::routes as clients;
use crate::panel::routes as panel;

#[derive(OpenApi)]
#[openapi(
    info(title = "Incognito API", description = "Privacy-first mystery-shopper panel."),
    paths(
        auth::register,
        auth::verify,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::password_reset,
        auth::password_reset_confirm,
        auth::me,
        auth::change_password,
        auth::create_user,
        panel::get_profile,
        panel::put_profile,
        panel::get_consents,
        panel::post_consents,
        panel::access_log,
        panel::disclosures,
        panel::export,
        panel::search_shoppers,
        panel::get_shopper,
        panel::change_status,
        panel::rate,
        panel::reveal,
        clients::list_organizations,
        clients::create_organization,
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
        assignments::move_assignment,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &CommonProblems),
    tags((name = "auth", description = "Registration and sign-in"), (name = "accounts", description = "Your account; staff accounts"), (name = "panel", description = "A shopper's application, profile, consents and data"), (name = "clients", description = "Organizations, clients and competitors (staff)"), (name = "assignments", description = "Requests, offers and assignments of jobs"))
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

/// The problem answers every JSON route may give, added where a route does not name them:
/// 400/413/415/422 for a body that is malformed, too large, not JSON or of the wrong shape;
/// 503 when the database is unavailable; 500 for an unexpected failure.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description).into());
                };
                add(
                    "500",
                    "An unexpected failure (logged; the answer carries no detail)",
                );
                add("503", "The database is busy or unreachable");
                if operation.request_body.is_some() {
                    add("400", "The body is not valid JSON");
                    add("413", "The body is too large");
                    add("415", "The body is not sent as application/json");
                    add(
                        "422",
                        "A field is missing or not valid; every bad field is named",
                    );
                }
            }
        }
    }
}
