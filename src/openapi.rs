//! The OpenAPI 3.1 description of the JSON API, generated from the handlers (`/api/openapi.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::routes as auth;

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
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Registration and sign-in"), (name = "accounts", description = "Your account; staff accounts"))
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
