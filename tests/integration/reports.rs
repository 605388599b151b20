//! Questionnaires and reports through the API: staff write and publish versions (as a
//! document or from XLSForm sheets); the assignment's shopper fills the report, saved whole or
//! not at all, and hands it in after the visit; a report keeps its version; a late report
//! needs staff to reopen it; nobody else writes it, and another shopper cannot see it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post, setup};
use crate::helpers::*;

/// A drive-thru questionnaire: yes/no with points, a follow-up asked only on "no", a
/// multiple choice with points, a required number, a rating with a constraint.
pub(crate) fn drive_thru(title: &str) -> Value {
    json!({
        "title": title,
        "sections": [
            {"title": "Order", "questions": [
                {"name": "greeted", "label": "Were you greeted?", "kind": "yes_no",
                 "required": true, "points": {"yes": 5, "no": 0}},
                {"name": "why_not", "label": "What happened instead?", "kind": "text",
                 "required": true, "relevant": "${greeted} = 'no'"},
                {"name": "items", "label": "What did you order?", "kind": "multiple_choice",
                 "choices": [
                    {"value": "fries", "label": "Fries", "points": 2},
                    {"value": "shake", "label": "Shake", "points": 3}]}
            ]},
            {"title": "Wait", "questions": [
                {"name": "wait", "label": "Minutes at the window", "kind": "number",
                 "required": true, "min": 0, "max": 120},
                {"name": "speed", "label": "How fast was it?", "kind": "rating", "scale": 5,
                 "points": {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4},
                 "constraint": ". >= 2 or ${wait} > 10",
                 "constraint_message": "Only a long wait can be rated 1."}
            ]}
        ]
    })
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let r = app.put_json_auth(path, token, &body).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A published questionnaire of the project: its id.
pub(crate) async fn published(app: &TestApp, scheduler: &str, project: i64, doc: Value) -> i64 {
    let (status, created) = post(
        app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        scheduler,
        doc,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, done) = post(
        app,
        &format!("/api/v1/questionnaires/{id}/publish"),
        scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    id
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn rfc3339(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::TimeDelta::minutes(minutes_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

on_both_backends!(
    a_shopper_fills_and_hands_in_a_report,
    a_late_report_needs_staff_to_reopen_it,
    a_questionnaire_comes_from_spreadsheet_sheets,
);

async fn a_shopper_fills_and_hands_in_a_report(backend: Backend) {
    let Some(app) = spawn_app(backend, "reports").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    let report = format!("/api/v1/assignments/{id}/report");
    let submit = format!("/api/v1/assignments/{id}/submit");

    // No questionnaire yet: a clear 409, not a 500; a draft is not enough.
    let r = app.get_auth(&report, &ana_token).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p = problem(r).await;
    assert_eq!(p["code"], "no_questionnaire", "{p}");
    let (status, draft) = post(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        &scheduler,
        drive_thru("Drive-thru"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(
        (draft["version"].as_i64(), draft["status"].as_str()),
        (Some(1), Some("draft"))
    );
    let r = app.get_auth(&report, &ana_token).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // A bad document is refused whole, each problem named where it is.
    let mut bad = drive_thru("");
    bad["sections"][0]["questions"][0]["relevant"] = json!("${later} = 1");
    let (status, p) = post(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        &scheduler,
        bad,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        fields(&p),
        ["title", "sections[0].questions[0].relevant"],
        "{p}"
    );
    let qid = draft["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/questionnaires/{qid}/publish"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = post(
        &app,
        &format!("/api/v1/questionnaires/{qid}/publish"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(p["code"], "already_published");

    let view = get_json(&app, &report, &ana_token).await;
    assert_eq!(view["questionnaire"]["version"], 1);
    let missing: Vec<&str> = view["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["visit_started_at", "visit_ended_at", "greeted", "wait"]
    );

    // A save with a bad answer saves nothing, and names each problem in the shopper's words.
    let (status, p) = put(
        &app,
        &report,
        &ana_token,
        json!({"answers": {"greeted": "maybe", "wait": 4, "speed": 1}, "receipt_cents": -5}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        fields(&p),
        ["receipt_cents", "answers.greeted", "answers.speed"],
        "{p}"
    );
    assert!(
        p["errors"][2]["message"]
            .as_str()
            .unwrap()
            .contains("Only a long wait can be rated 1"),
        "{p}"
    );
    let view = get_json(&app, &report, &ana_token).await;
    assert_eq!(view["answers"], json!({}), "nothing was saved");

    // "No" asks why; handing in before the visit is refused.
    let (status, view) = put(
        &app,
        &report,
        &ana_token,
        json!({"answers": {"greeted": "no"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(
        view["asked"]
            .as_array()
            .unwrap()
            .contains(&json!("why_not"))
    );
    let (status, p) = post(&app, &submit, &ana_token, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(p["code"], "not_visited", "{p}");
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = post(&app, &submit, &ana_token, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&p),
        ["visit_started_at", "visit_ended_at", "why_not", "wait"],
        "{p}"
    );

    // A version published meanwhile does not change a report started on the first.
    published(
        &app,
        &scheduler,
        project,
        drive_thru("Drive-thru, second edition"),
    )
    .await;
    let view = get_json(&app, &report, &ana_token).await;
    assert_eq!(view["questionnaire"]["version"], 1);
    assert_eq!(view["questionnaire"]["document"]["title"], "Drive-thru");

    // Only its shopper writes it; another shopper does not even see it; staff read it.
    let whole = json!({
        "answers": {"greeted": "yes", "why_not": "not asked any more", "items": ["fries"],
                    "wait": 4, "speed": 4},
        "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40), "receipt_cents": 1250
    });
    let (status, _) = put(&app, &report, &ben_token, whole.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = app.get_auth(&report, &ben_token).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = put(&app, &report, &scheduler, whole.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, view) = put(&app, &report, &ana_token, whole.clone()).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    // Worked by hand: greeted 5 of 5, items 2 of 5 (fries, not the shake), speed 3 of 4.
    assert_eq!(
        (
            view["score"]["earned"].as_i64(),
            view["score"]["possible"].as_i64()
        ),
        (Some(10), Some(14)),
        "{view}"
    );
    assert_eq!(view["score"]["sections"][1]["earned"], 3);
    assert_eq!(view["receipt_cents"], 1250);
    let seen = get_json(&app, &report, &scheduler).await;
    assert_eq!(seen["answers"]["wait"], 4.0);
    let log = get_items(&app, "/api/v1/me/access-log", &ana_token).await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|r| r["purpose"].as_str().unwrap_or("").contains("report")),
        "the shopper sees that staff read the report: {log}"
    );

    // Handed in: the answer to a question not asked is dropped; the assignment is submitted;
    // the report is closed to changes.
    let (status, done) = post(&app, &submit, &ana_token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "submitted");
    assert!(done["answers"].get("why_not").is_none(), "{done}");
    let mine = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    assert_eq!(mine[0]["state"], "submitted", "{mine}");
    let (status, p) = put(&app, &report, &ana_token, whole).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(p["code"], "report_closed");
    let (status, _) = post(&app, &submit, &ana_token, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.stop().await;
}

async fn a_late_report_needs_staff_to_reopen_it(backend: Backend) {
    let Some(app) = spawn_app(backend, "late reports").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({"report_grace_days": 2})).await;
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    let job = job(&app, &scheduler, project, store, -1, 0).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    let report = format!("/api/v1/assignments/{id}/report");
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answers = json!({"answers": {"greeted": "yes", "wait": 3},
        "visit_started_at": rfc3339(30), "visit_ended_at": rfc3339(20)});
    let (status, view) = put(&app, &report, &ana_token, answers.clone()).await;
    assert_eq!(status, StatusCode::OK, "{view}");

    // Two grace days after the window: still open; the third: late. (Access tokens last a
    // day: both sign in again on the moved clock.)
    let emails = [
        get_json(&app, "/api/v1/me", &ana_token).await["email"].clone(),
        get_json(&app, "/api/v1/me", &scheduler).await["email"].clone(),
    ];
    app.state.clock.advance(chrono::TimeDelta::days(2)).unwrap();
    let again = |email: Value| {
        let app = &app;
        async move {
            let r = app.login(email.as_str().unwrap(), STRONG_PASSWORD).await;
            assert_eq!(r.status(), StatusCode::OK);
            access(&r.json::<Value>().await.unwrap())
        }
    };
    let ana_token = again(emails[0].clone()).await;
    let (status, _) = put(&app, &report, &ana_token, answers.clone()).await;
    assert_eq!(status, StatusCode::OK);
    app.state.clock.advance(chrono::TimeDelta::days(1)).unwrap();
    let ana_token = again(emails[0].clone()).await;
    let scheduler = again(emails[1].clone()).await;
    let (status, p) = put(&app, &report, &ana_token, answers.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(p["code"], "report_late");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("your answers are kept"),
        "{p}"
    );
    let (status, p) = post(
        &app,
        &format!("/api/v1/assignments/{id}/submit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");

    // Staff reopen it (a shopper cannot); then it is handed in.
    let reopen = format!("/api/v1/assignments/{id}/report/reopen");
    let (status, _) = post(&app, &reopen, &ana_token, json!({"days": 3})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = post(&app, &reopen, &scheduler, json!({"days": 30})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, view) = post(&app, &reopen, &scheduler, json!({"days": 3})).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    // The visit's times lie before "now" on the moved clock, within the window.
    let (status, done) = post(
        &app,
        &format!("/api/v1/assignments/{id}/submit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    app.stop().await;
}

async fn a_questionnaire_comes_from_spreadsheet_sheets(backend: Backend) {
    let Some(app) = spawn_app(backend, "xlsform").await else {
        return;
    };
    let (scheduler, _, _, project) = setup(&app, json!({})).await;
    let survey = "type,name,label,required,relevant,hint,points\n\
        begin group,order,Order,,,,\n\
        select_one yn,greeted,Were you greeted?,yes,,Within 10 seconds,\n\
        text,why_not,What happened instead?,yes,${greeted} = 'no',,\n\
        end group,,,,,,\n\
        begin group,wait,Wait,,,,\n\
        integer,minutes,Minutes at the window,yes,,,\n\
        range,speed,How fast was it?,,,,1=0 2=1 3=2 4=3 5=4\n\
        end group,,,,,,\n";
    let choices = "list_name,name,label,points\nyn,yes,Yes,5\nyn,no,No,0\n";
    let (status, created) = post(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires/xlsform"),
        &scheduler,
        json!({"title": "Drive-thru", "survey": survey, "choices": choices}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let doc = &created["document"];
    assert_eq!(doc["sections"][0]["questions"][0]["kind"], "yes_no");
    assert_eq!(doc["sections"][0]["questions"][0]["points"]["yes"], 5);
    assert_eq!(doc["sections"][1]["questions"][1]["kind"], "rating");
    // The document exported is the one a new version takes.
    let id = created["id"].as_i64().unwrap();
    let exported = get_json(&app, &format!("/api/v1/questionnaires/{id}"), &scheduler).await;
    let (status, again) = post(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        &scheduler,
        exported["document"].clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["version"], 2);
    assert_eq!(again["document"], exported["document"]);
    let list = get_items(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        &scheduler,
    )
    .await;
    assert_eq!(list[0]["version"], 2, "newest first: {list}");
    assert_eq!(list[1]["questions"], 4);

    // A sheet with mistakes is refused, each named by its line.
    let (status, p) = post(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires/xlsform"),
        &scheduler,
        json!({"title": "Broken", "survey": "type,name,label\nnote,hello,Hello\n", "choices": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 2: the type “note” is not one"),
        "{p}"
    );
    // A shopper neither writes nor reads questionnaires.
    let (_, shopper) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let r = app
        .get_auth(&format!("/api/v1/questionnaires/{id}"), &shopper)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

/// The visit's day and the times in and out, in New York (where the test shoppers live), a
/// little before now and on one day.
fn new_york_visit() -> (String, String, String) {
    let zone: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let now = chrono::Utc::now().with_timezone(&zone);
    let (mut went_in, mut came_out) = (
        now - chrono::TimeDelta::minutes(40),
        now - chrono::TimeDelta::minutes(20),
    );
    while went_in.date_naive() != came_out.date_naive() {
        went_in -= chrono::TimeDelta::hours(1);
        came_out -= chrono::TimeDelta::hours(1);
    }
    (
        went_in.format("%Y-%m-%d").to_string(),
        went_in.format("%H:%M").to_string(),
        came_out.format("%H:%M").to_string(),
    )
}

/// The report on the page, as a shopper on a phone fills it: follow-up questions appear once
/// saved, every mistake is named beside its field with what was typed kept, and it is handed in.
#[tokio::test]
async fn a_shopper_hands_in_the_report_on_the_page() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "report page").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    let mut ana_pages = signed_in(&json!({ "access_token": ana_token }));
    let (_, html, _) = ana_pages.get(&app, "/shopper/assignments").await;
    let page = format!("/shopper/assignments/{id}/report");
    assert!(
        html.contains(&format!(
            r#"<a class="button" href="{page}">Fill in the report</a>"#
        )),
        "{html}"
    );
    let (status, html, _) = ana_pages.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Were you greeted?")
            && question_hidden(&html, "why_not")
            && !question_hidden(&html, "greeted")
            && html.contains("Still to answer before you hand it in: When you went in · When you came out · Were you greeted? · Minutes at the window"),
        "{html}"
    );
    let csrf = csrf_field(&html);
    let (day, went_in, came_out) = new_york_visit();

    // Mistakes: named beside their fields, what was typed kept, nothing saved.
    let (status, html, _) = ana_pages
        .post(
            &app,
            &page,
            &[
                ("csrf_token", &csrf),
                ("action", "save"),
                ("visit_date", &day),
                ("visit_in", "25:00"),
                ("q.greeted", "no"),
                ("q.wait", "a while"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Type the time like 14:05, not “25:00”.")
            && html.contains(r#"value="no" checked"#)
            && html.contains(r#"value="a while""#),
        "{html}"
    );
    let (status, html, _) = ana_pages
        .post(
            &app,
            &page,
            &[
                ("csrf_token", &csrf),
                ("action", "save"),
                ("q.greeted", "no"),
                ("q.wait", "a while"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="q.wait-error">Type a number, like 12 or 4.5."#),
        "{html}"
    );

    // Saved: the follow-up question appears.
    let (status, _, location) = ana_pages
        .post(
            &app,
            &page,
            &[
                ("csrf_token", &csrf),
                ("action", "save"),
                ("q.greeted", "no"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(page.as_str()));
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(
        html.contains("Saved.")
            && html.contains("What happened instead?")
            && !question_hidden(&html, "why_not"),
        "{html}"
    );

    // Handing in with an answer missing names it; then complete, it goes through.
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("action", "submit"),
        ("visit_date", &day),
        ("visit_in", &went_in),
        ("visit_out", &came_out),
        ("receipt", "12.50"),
        ("q.greeted", "no"),
        ("q.items.fries", "on"),
        ("q.wait", "4"),
        ("q.speed", "4"),
    ];
    let (status, html, _) = ana_pages.post(&app, &page, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains(r#"id="q.why_not-error">“What happened instead?” is not answered yet."#)
            && html.contains(r#"name="q.items.fries" checked"#),
        "{html}"
    );
    fields.push(("q.why_not", "Nobody came to the window for a minute."));
    let (status, _, location) = ana_pages.post(&app, &page, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/shopper/assignments"));
    let (_, html, _) = ana_pages.get(&app, "/shopper/assignments").await;
    assert!(
        html.contains("Report handed in. Thank you!")
            && html.contains("See the report you handed in"),
        "{html}"
    );
    let report = get_json(
        &app,
        &format!("/api/v1/assignments/{id}/report"),
        &ana_token,
    )
    .await;
    assert_eq!(report["status"], "submitted");
    assert_eq!(report["receipt_cents"], 1250);
    assert_eq!(report["answers"]["items"], json!(["fries"]));
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(html.contains("You handed this report in."), "{html}");
    app.stop().await;
}

/// Staff add a version from spreadsheet sheets on the page, see it listed as a draft, and
/// publish it; a sheet with a mistake is named by its line, with what was pasted kept.
#[tokio::test]
async fn staff_add_and_publish_a_version_on_the_page() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "questionnaire page").await else {
        return;
    };
    let (scheduler, _, _, project) = setup(&app, json!({})).await;
    let mut staff = signed_in(&json!({ "access_token": scheduler }));
    let page = format!("/staff/projects/{project}/questionnaire");
    let (_, html, _) = staff.get(&app, &format!("/staff/projects/{project}")).await;
    assert!(html.contains(&format!(r#"href="{page}""#)), "{html}");
    let (status, html, _) = staff.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No version yet"), "{html}");
    let csrf = csrf_field(&html);
    let broken = "type,name,label\nnote,hello,Hello\n";
    let (status, html, _) = staff
        .post(
            &app,
            &page,
            &[
                ("csrf_token", &csrf),
                ("title", "Visit"),
                ("survey", broken),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Line 2: the type “note” is not one") && html.contains("note,hello,Hello"),
        "{html}"
    );
    let survey = "type,name,label,required\nselect_one yn,greeted,Were you greeted?,yes\n";
    let choices = "list_name,name,label,points\nyn,yes,Yes,5\nyn,no,No,0\n";
    let (status, _, _) = staff
        .post(
            &app,
            &page,
            &[
                ("csrf_token", &csrf),
                ("title", "Visit"),
                ("survey", survey),
                ("choices", choices),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &page).await;
    assert!(
        html.contains("Version 1 saved as a draft")
            && html.contains(r#"<span class="badge badge-wait">draft</span>"#),
        "{html}"
    );
    let list = get_items(
        &app,
        &format!("/api/v1/projects/{project}/questionnaires"),
        &scheduler,
    )
    .await;
    let id = list[0]["id"].as_i64().unwrap();
    let (status, _, _) = staff
        .post(
            &app,
            &format!("/staff/questionnaires/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &page).await;
    assert!(
        html.contains("Version 1 is published") && html.contains("badge-ok\">published"),
        "{html}"
    );
    // The document field holds the newest version, ready to edit into the next one.
    assert!(
        html.contains("&#34;name&#34;: &#34;greeted&#34;")
            && html.contains("&#34;label&#34;: &#34;Were you greeted?&#34;"),
        "{html}"
    );
    let mut document =
        get_json(&app, &format!("/api/v1/questionnaires/{id}"), &scheduler).await["document"]
            .clone();
    document["title"] = json!("Visit, second edition");
    let (status, _, _) = staff
        .post(
            &app,
            &page,
            &[("csrf_token", &csrf), ("document", &document.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &page).await;
    assert!(html.contains("Version 2 saved as a draft"), "{html}");
    assert!(html.contains("Visit, second edition"), "{html}");
    app.stop().await;
}

/// Staff build a questionnaire question by question on the builder page: the first question
/// starts version 1, more are added, changed, moved and removed, each mistake named beside its
/// field with what was typed kept; a published version is only read, and a new draft copies it.
#[tokio::test]
async fn staff_build_a_questionnaire_question_by_question() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "questionnaire builder").await else {
        return;
    };
    let (scheduler, _, _, project) = setup(&app, json!({})).await;
    let mut staff = signed_in(&json!({ "access_token": scheduler }));
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}/questionnaire"))
        .await;
    let first = format!("/staff/projects/{project}/questionnaire/first");
    assert!(html.contains(&format!(r#"href="{first}""#)), "{html}");
    let (status, html, _) = staff.get(&app, &first).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_field(&html);
    let (status, _, location) = staff
        .post(
            &app,
            &first,
            &[
                ("csrf_token", &csrf),
                ("title", "Burger visit"),
                ("section", "new"),
                ("new_section", "Arrival"),
                ("kind", "yes_no"),
                ("label", "Were you greeted?"),
                ("name", "greeted"),
                ("required", "on"),
                ("points", "yes=5 no=0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let builder = location.expect("to the builder");
    let id: i64 = builder
        .trim_start_matches("/staff/questionnaires/")
        .trim_end_matches("/builder")
        .parse()
        .unwrap();
    let add = format!("/staff/questionnaires/{id}/questions");
    let one = format!("/staff/questionnaires/{id}/question");
    let question = |kind: &'static str, name: &'static str, label: &'static str| {
        vec![
            ("section", "0"),
            ("kind", kind),
            ("name", name),
            ("label", label),
        ]
    };
    let mut sent = question("text", "why_not", "What happened instead?");
    sent.extend_from_slice(&[("relevant", "${greeted} = 'no'"), ("csrf_token", &csrf)]);
    let (status, _, _) = staff.post(&app, &add, &sent).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A choice of words alone gets its value from them.
    let mut sent = question("single_choice", "drink", "Which drink?");
    sent.extend_from_slice(&[
        ("choices", "Cola\nwater | Still water | 2"),
        ("csrf_token", &csrf),
    ]);
    let (status, _, _) = staff.post(&app, &add, &sent).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Mistakes: a choice's points that are no number; then a condition reading a question that
    // comes later. Each beside its field, what was typed kept, nothing saved.
    let mut sent = question("single_choice", "size", "Which size?");
    sent.extend_from_slice(&[("choices", "small | Small | two"), ("csrf_token", &csrf)]);
    let (status, html, _) = staff.post(&app, &add, &sent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="choices-error">Line 1: “two” is not a whole number of points."#)
            && html.contains("small | Small | two"),
        "{html}"
    );
    let mut sent = question("number", "wait", "Minutes waited");
    sent.extend_from_slice(&[("relevant", "${later} > 3"), ("csrf_token", &csrf)]);
    let (status, html, _) = staff.post(&app, &add, &sent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="relevant-error">"#)
            && html.contains("later")
            && html.contains(r#"value="${later} &#62; 3""#),
        "{html}"
    );
    let doc = || async {
        get_json(&app, &format!("/api/v1/questionnaires/{id}"), &scheduler).await["document"]
            .clone()
    };
    let names = |d: &Value| -> Vec<String> {
        d["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["questions"].as_array().unwrap().iter())
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect()
    };
    let d = doc().await;
    assert_eq!(
        names(&d),
        ["greeted", "why_not", "drink"],
        "nothing half-saved"
    );
    assert_eq!(d["title"], "Burger visit");
    assert_eq!(
        d["sections"][0]["questions"][2]["choices"],
        json!([{"value": "cola", "label": "Cola"}, {"value": "water", "label": "Still water", "points": 2}])
    );

    // Changed: the form holds the question; a new label saved keeps its place.
    let (status, html, _) = staff.get(&app, &format!("{one}?name=why_not")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"value="What happened instead?""#), "{html}");
    let mut sent = question("text", "why_not", "What happened?");
    sent.extend_from_slice(&[
        ("relevant", "${greeted} = 'no'"),
        ("question", "why_not"),
        ("action", "save"),
        ("csrf_token", &csrf),
    ]);
    let (status, _, _) = staff.post(&app, &one, &sent).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let d = doc().await;
    assert_eq!(d["sections"][0]["questions"][1]["label"], "What happened?");
    // Renamed while its condition reads a question after it: refused, on the condition's field.
    let mut sent = question("text", "why_not", "What happened?");
    sent.extend_from_slice(&[
        ("relevant", "${drink} = 'cola'"),
        ("question", "why_not"),
        ("action", "save"),
        ("csrf_token", &csrf),
    ]);
    let (status, html, _) = staff.post(&app, &one, &sent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"id="relevant-error">"#), "{html}");

    // Moved down past the drink, then removed.
    let (status, _, _) = staff
        .post(
            &app,
            &one,
            &[
                ("csrf_token", &csrf),
                ("question", "greeted"),
                ("action", "down"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "why_not reads greeted: it stays first"
    );
    let (status, _, _) = staff
        .post(
            &app,
            &one,
            &[
                ("csrf_token", &csrf),
                ("question", "drink"),
                ("action", "up"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(names(&doc().await), ["greeted", "drink", "why_not"]);
    let (status, _, _) = staff
        .post(
            &app,
            &one,
            &[
                ("csrf_token", &csrf),
                ("question", "drink"),
                ("action", "remove"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(names(&doc().await), ["greeted", "why_not"]);
    let (_, html, _) = staff.get(&app, &builder).await;
    assert!(
        html.contains("Question “drink” removed.") && html.contains("What happened?"),
        "{html}"
    );

    // Published, it is only read; a new draft copies it.
    let (status, _, _) = staff
        .post(
            &app,
            &format!("/staff/questionnaires/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &builder).await;
    assert!(
        html.contains("is published and never changes") && !html.contains("Add the question"),
        "{html}"
    );
    let mut sent = question("text", "late", "Too late");
    sent.push(("csrf_token", &csrf));
    let (status, html, _) = staff.post(&app, &add, &sent).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the page says why"
    );
    assert!(html.contains("start a new draft from it"), "{html}");
    let (status, _, location) = staff
        .post(
            &app,
            &format!("/staff/questionnaires/{id}/drafts"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &location.unwrap()).await;
    assert!(
        html.contains("Version 2 is a draft copy of version 1")
            && html.contains("Add the question"),
        "{html}"
    );
    app.stop().await;
}

/// A media question is answered by the files uploaded for it, never by ids a client sends.
#[tokio::test]
async fn a_photo_question_is_answered_by_its_uploads() {
    let Some(app) = spawn_app(Backend::Sqlite, "photo answers").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let doc = json!({"title": "Receipt check", "sections": [{"title": "Proof", "questions": [
        {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
         "required": true, "files": {"min": 1, "max": 2}}]}]});
    published(&app, &scheduler, project, doc).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    let report = format!("/api/v1/assignments/{id}/report");
    let (status, view) = put(
        &app,
        &report,
        &ana_token,
        json!({"answers": {"receipt": ["made-up"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(view["answers"].get("receipt").is_none(), "{view}");
    assert!(
        view["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "receipt"),
        "{view}"
    );
    let part = reqwest::multipart::Part::bytes(incognito::media::photo::sample_phone_jpeg(64, 48))
        .file_name("receipt.jpg");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/media")))
        .bearer_auth(&ana_token)
        .multipart(
            reqwest::multipart::Form::new()
                .text("question", "receipt")
                .part("file", part),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let media = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let view = get_json(&app, &report, &ana_token).await;
    assert_eq!(
        view["answers"]["receipt"],
        json!([media.to_string()]),
        "{view}"
    );
    assert!(
        !view["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "receipt"),
        "{view}"
    );
    app.stop().await;
}

/// Files from the report page without its script: a receipt sent by the plain form, shown as
/// a thumbnail, refused in words when it is not a photo, removed by its button; and the
/// resumable upload the page's script speaks, which needs the form token.
#[tokio::test]
async fn a_shopper_sends_and_removes_files_on_the_report_page() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "report files page").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let doc = json!({"title": "Receipt check", "sections": [{"title": "Proof", "questions": [
        {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
         "required": true, "files": {"min": 1, "max": 1}}]}]});
    published(&app, &scheduler, project, doc).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    let mut ana_pages = signed_in(&json!({ "access_token": ana_token }));
    let page = format!("/shopper/assignments/{id}/report");
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(
        html.contains("A photo: JPEG, PNG or WebP, up to 25 MB. 1 file."),
        "{html}"
    );
    assert!(html.contains(r#"<script src="/static/report.js" defer></script>"#));
    let csrf = csrf_field(&html);
    let files = format!("/shopper/assignments/{id}/report/files");

    // Not a photo: refused in words, nothing kept.
    let (status, _, location) = ana_pages
        .upload_bytes(
            &app,
            &files,
            &[("csrf_token", &csrf), ("question", "receipt")],
            "receipt.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(page.as_str()));
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(html.contains("Not sent: This photo is in HEIC"), "{html}");
    // Without the form token: refused.
    let photo = incognito::media::photo::sample_phone_jpeg(600, 400);
    let (status, _, _) = ana_pages
        .upload_bytes(
            &app,
            &files,
            &[("question", "receipt")],
            "r.jpg",
            photo.clone(),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    // A photo: sent, and shown.
    let (status, _, _) = ana_pages
        .upload_bytes(
            &app,
            &files,
            &[("csrf_token", &csrf), ("question", "receipt")],
            "r.jpg",
            photo,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(html.contains("Photo sent."), "{html}");
    let media = get_json(
        &app,
        &format!("/api/v1/assignments/{id}/report"),
        &ana_token,
    )
    .await["answers"]["receipt"][0]
        .as_str()
        .unwrap()
        .to_string();
    let thumb = format!("/shopper/media/{media}?size=thumb");
    assert!(html.contains(&format!(r#"<img src="{thumb}""#)), "{html}");
    assert!(
        html.contains("This question has all the files it takes"),
        "{html}"
    );
    let (status, _, _) = ana_pages.get(&app, &thumb).await;
    assert_eq!(status, StatusCode::OK);
    let mut ben_pages = signed_in(&json!({ "access_token": ben_token }));
    let (status, _, _) = ben_pages.get(&app, &thumb).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another shopper's file");

    // The page's resumable upload needs the form token in its header.
    let uploads = format!("/shopper/assignments/{id}/uploads");
    let tus = [("tus-resumable", "1.0.0"), ("upload-length", "1000")];
    let (status, _, _) = ana_pages
        .send(&app, reqwest::Method::POST, &uploads, &tus)
        .await;
    assert!(status.is_client_error(), "{status}");
    let with_token = [tus[0], tus[1], ("x-csrf-token", csrf.as_str())];
    let (status, _, location) = ana_pages
        .send(&app, reqwest::Method::POST, &uploads, &with_token)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(location.unwrap().starts_with("/shopper/uploads/"));

    // Removed by its button: gone, and the question takes a file again.
    let (status, _, _) = ana_pages
        .post(
            &app,
            &format!("/shopper/media/{media}/remove"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = ana_pages.get(&app, &page).await;
    assert!(html.contains("File removed."), "{html}");
    assert!(!html.contains(&thumb), "{html}");
    assert!(html.contains("Add a photo"), "{html}");
    app.stop().await;
}

/// Whether the report page draws question `name` hidden (its condition does not hold yet; the
/// page's script shows it when the answers call for it). Panics when the page lacks it.
fn question_hidden(html: &str, name: &str) -> bool {
    let start = html
        .find(&format!(r#"<div class="question" id="q.{name}""#))
        .unwrap_or_else(|| panic!("the page draws question {name}"));
    let tag = &html[start..start + html[start..].find('>').expect("the tag ends")];
    tag.ends_with(" hidden")
}
