//! The job-board benchmark's yardstick: a bare actix-web handler answering a fixed page of the
//! board (the bytes of a real one, read from a file) with nothing else around it: no session,
//! no index, no middleware. `bash benches/board/run.sh` builds it and loads it beside the
//! service in the same run, with the same client, connections, workers and allocator.
//!
//!   BARE_PAGE=page.json BARE_BIND=127.0.0.1:8098 BARE_WORKERS=2 bare_board

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actix_web::{App, HttpResponse, HttpServer, web};

async fn page(body: web::Data<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.get_ref().clone())
}

fn main() -> std::io::Result<()> {
    let path = std::env::var("BARE_PAGE").unwrap_or_else(|_| "page.json".into());
    let body = web::Bytes::from(std::fs::read(&path)?);
    let bind = std::env::var("BARE_BIND").unwrap_or_else(|_| "127.0.0.1:8098".into());
    let workers = std::env::var("BARE_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(body.clone()))
                .route("/api/v1/me/jobs", web::get().to(page))
        })
        .workers(workers)
        .bind(bind)?
        .run()
        .await
    })
}
