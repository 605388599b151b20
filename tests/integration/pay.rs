//! Pay through the API: the lines an approval earns (against hand-worked amounts, a
//! reimbursement over the cap included), lines waiting for the client's dispute days, payout
//! runs that pay each line once (also two at once), the payment provider's file, the shopper's
//! earnings, what staff see owed, and the year's totals with the tax ID only in the admin's
//! export (each export read leaving an access record).

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post, setup};
use crate::helpers::*;
use crate::qa::reviewer;
use crate::reports::{drive_thru, published, rfc3339};

/// A report handed in by a new shopper for a job paying `bonus` cents on top of a project
/// with `rules`, its receipt `receipt` cents: (scheduler, assignment, shopper's id, token).
async fn handed_in(
    app: &TestApp,
    rules: Value,
    bonus: i64,
    receipt: i64,
) -> (String, i64, i64, String) {
    let (scheduler, _, store, project) = setup(app, rules).await;
    published(app, &scheduler, project, drive_thru("Drive-thru")).await;
    let (id, shopper, token) = report_for(app, &scheduler, project, store, bonus, receipt).await;
    (scheduler, id, shopper, token)
}

/// A new shopper's report handed in for a new job of `project` at `store`: (assignment,
/// shopper's id, token).
async fn report_for(
    app: &TestApp,
    scheduler: &str,
    project: i64,
    store: i64,
    bonus: i64,
    receipt: i64,
) -> (i64, i64, String) {
    let scheduler = scheduler.to_string();
    let job = job(app, &scheduler, project, store, -1, 5).await;
    if bonus > 0 {
        let (status, body) = post(
            app,
            &format!("/api/v1/jobs/{job}/bonus"),
            &scheduler,
            json!({"bonus_cents": bonus}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (shopper, token) = panel_member(
        app,
        &scheduler,
        "pay",
        json!({"tax_id": "123-45-6789"}),
        true,
    )
    .await;
    let id = assigned(app, &scheduler, job, shopper).await;
    let (status, _) = post(
        app,
        &format!("/api/v1/assignments/{id}/visit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let report = json!({
        "answers": {"greeted": "yes", "items": ["fries"], "wait": 3, "speed": 4},
        "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40), "receipt_cents": receipt
    });
    let r = app
        .put_json_auth(&format!("/api/v1/assignments/{id}/report"), &token, &report)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, view) = post(
        app,
        &format!("/api/v1/assignments/{id}/submit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    (id, shopper, token)
}

/// A shopper's lines as (kind, cents, state).
fn lines(earnings: &Value) -> Vec<(String, i64, String)> {
    earnings["lines"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["amount_cents"].as_i64().unwrap(),
                l["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Signs `email` in again (after the clock moved past the access token's life).
async fn again(app: &TestApp, email: &str) -> String {
    let r = app.login(email, STRONG_PASSWORD).await;
    access(&r.json::<Value>().await.unwrap())
}

on_both_backends!(
    an_approval_earns_lines_that_wait_then_are_paid_once,
    qa_approves_a_reimbursement_of_its_own,
);

async fn an_approval_earns_lines_that_wait_then_are_paid_once(backend: Backend) {
    let Some(app) = spawn_app(backend, "pay ledger").await else {
        return;
    };
    // Hand-worked: fee $15.00 (the project's), bonus $3.00, a receipt of $12.50 over a $10.00
    // cap: $28.00 in all, of which $18.00 is pay for work and $10.00 a reimbursement.
    let rules = json!({"reimbursement_cap_cents": 1000, "dispute_days": 3});
    let (scheduler, id, shopper, token) = handed_in(&app, rules, 300, 1250).await;
    let shopper_email = email_of(&app, &token).await;
    let admin_email = unique_email("paymaster");
    let admin = access(&app.admin_tokens(&admin_email).await);
    let qa = reviewer(&app).await;

    // Nothing is earned before approval.
    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    assert_eq!(mine["lines"]["total"], 0, "{mine}");
    let (status, _) = post(
        &app,
        &format!("/api/v1/reports/{id}/approve"),
        &qa,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    let mut got = lines(&mine);
    got.sort();
    assert_eq!(
        got,
        [
            ("bonus".to_string(), 300, "pending".to_string()),
            ("fee".to_string(), 1500, "pending".to_string()),
            ("reimbursement".to_string(), 1000, "pending".to_string()),
        ]
    );
    assert_eq!(mine["pending_cents"], 2800);
    assert_eq!(mine["owed_cents"], 0);
    let reimbursement = mine["lines"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "reimbursement")
        .unwrap()
        .clone();
    assert_eq!(
        reimbursement["note"], "The job reimburses at most $10.00.",
        "{reimbursement}"
    );
    // Released at once (the project's default): paid on the first payout day (a Friday) on
    // or after the three dispute days.
    let today = app.state.clock.naive().date();
    let owed_on = today + chrono::Days::new(3);
    let expected = (0..7)
        .map(|d| owed_on + chrono::Days::new(d))
        .find(|d| d.weekday() == chrono::Weekday::Fri)
        .unwrap();
    assert_eq!(
        reimbursement["expected_pay_date"],
        expected.to_string(),
        "{reimbursement}"
    );
    assert!(
        reimbursement["waiting_for"]
            .as_str()
            .unwrap()
            .contains("may dispute"),
        "{reimbursement}"
    );

    // Staff see it owed per shopper and per client, pending.
    let owed = get_json(&app, "/api/v1/pay/owed", &scheduler).await;
    let row = owed["items"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == shopper)
        .unwrap()
        .clone();
    assert_eq!(
        (row["pending_cents"].as_i64(), row["owed_cents"].as_i64()),
        (Some(2800), Some(0))
    );
    let by_client = get_json(&app, "/api/v1/pay/owed?by=client", &scheduler).await;
    assert!(
        by_client["pending_cents"].as_i64().unwrap() >= 2800,
        "{by_client}"
    );

    // Within the dispute days, a payout run has nothing to pay.
    let r = app
        .post_json_auth("/api/v1/payouts", &admin, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "nothing_to_pay", "{p}");

    // Three days on, the lines are owed, and a payout run takes them once.
    app.state
        .clock
        .advance(chrono::TimeDelta::days(3) + chrono::TimeDelta::minutes(1))
        .unwrap();
    let admin = again(&app, &admin_email).await;
    let token = again(&app, &shopper_email).await;
    let r = app
        .post_json_auth("/api/v1/payouts", &admin, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let payout: Value = r.json().await.unwrap();
    let payout_id = payout["id"].as_i64().unwrap();
    assert_eq!(
        (payout["payees"].as_i64(), payout["total_cents"].as_i64()),
        (Some(1), Some(2800)),
        "{payout}"
    );
    let r = app
        .post_json_auth("/api/v1/payouts", &admin, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "nothing is owed twice");
    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    assert!(lines(&mine).iter().all(|l| l.2 == "approved"), "{mine}");
    assert_eq!(mine["owed_cents"], 2800);
    assert!(
        mine["lines"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["payout_id"] == payout_id)
    );

    // The payment provider's file: the shopper once, their whole amount; the read is on
    // the shopper's access log.
    let r = app
        .get_auth(&format!("/api/v1/payouts/{payout_id}.csv"), &admin)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().filter(|l| l.contains(&shopper_email)).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(rows[0].contains(",28.00,USD,"), "{csv}");
    assert!(rows[0].contains("pay Tester"), "{csv}");
    let log = get_json(&app, "/api/v1/me/access-log", &token).await;
    assert!(
        log["items"].as_array().unwrap().iter().any(|a| a["purpose"]
            .as_str()
            .unwrap()
            .contains(&format!("payout {payout_id}"))),
        "{log}"
    );

    // Confirmed paid: every line paid, once.
    let (status, body) = post(
        &app,
        &format!("/api/v1/payouts/{payout_id}/paid"),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["paid_at"].is_string());
    let (status, body) = post(
        &app,
        &format!("/api/v1/payouts/{payout_id}/paid"),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("paid_already"))
    );
    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    assert!(lines(&mine).iter().all(|l| l.2 == "paid"), "{mine}");
    assert_eq!(
        (mine["paid_cents"].as_i64(), mine["owed_cents"].as_i64()),
        (Some(2800), Some(0))
    );

    // The year's totals: $18.00 income and $10.00 reimbursed; the tax ID only in the admin's
    // export, and that export on the shopper's access log.
    let year = app.state.clock.naive().year();
    // (The first scheduler's token is older than the clock's jump: a new one reads.)
    let (_, scheduler_email) = staff(&app, &admin, "scheduler").await;
    let scheduler = again(&app, &scheduler_email).await;
    let totals = get_json(
        &app,
        &format!("/api/v1/pay/years/{year}?per_page=100"),
        &scheduler,
    )
    .await;
    let mine_total = totals["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["shopper_id"] == shopper)
        .unwrap()
        .clone();
    assert_eq!(
        (
            mine_total["income_cents"].as_i64(),
            mine_total["reimbursement_cents"].as_i64()
        ),
        (Some(1800), Some(1000)),
        "{mine_total}"
    );
    assert!(mine_total.get("tax_id").is_none());
    let r = app
        .get_auth(&format!("/api/v1/pay/years/{year}/tax.csv"), &scheduler)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the tax export is the admin's"
    );
    let r = app
        .get_auth(&format!("/api/v1/pay/years/{year}/tax.csv"), &admin)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("pay Tester") && l.contains(",18.00,10.00"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(row.contains("123-45-6789"), "the tax ID on file: {row}");
    let log = get_json(&app, "/api/v1/me/access-log", &token).await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["purpose"].as_str().unwrap().contains("for tax reporting")),
        "{log}"
    );
    // Nothing for last year.
    let r = app
        .get_auth(&format!("/api/v1/pay/years/{}", year - 1), &scheduler)
        .await;
    let none: Value = r.json().await.unwrap();
    assert!(
        none["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["shopper_id"] != shopper)
    );
    let r = app.get_auth("/api/v1/pay/years/1999", &scheduler).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

/// A staff account of `role`: (id, email).
async fn staff(app: &TestApp, admin: &str, role: &str) -> (i64, String) {
    let email = unique_email(role);
    let r = app
        .post_json_auth(
            "/api/v1/users",
            admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": role}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    (body["id"].as_i64().unwrap_or_default(), email)
}

async fn qa_approves_a_reimbursement_of_its_own(backend: Backend) {
    let Some(app) = spawn_app(backend, "pay reimbursement").await else {
        return;
    };
    let rules = json!({"reimbursement_cap_cents": 2000});
    let (_, id, _, token) = handed_in(&app, rules, 0, 1840).await;
    let qa = reviewer(&app).await;
    // Not an amount: refused by name, nothing earned.
    let (status, p) = post(
        &app,
        &format!("/api/v1/reports/{id}/approve"),
        &qa,
        json!({"reimbursement_cents": -5}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "reimbursement_cents");
    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    assert_eq!(mine["lines"]["total"], 0);
    // QA approves $12.40 of the $18.40 receipt.
    let (status, _) = post(
        &app,
        &format!("/api/v1/reports/{id}/approve"),
        &qa,
        json!({"reimbursement_cents": 1240}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine = get_json(&app, "/api/v1/me/earnings", &token).await;
    let mut got = lines(&mine);
    got.sort();
    assert_eq!(
        got,
        [
            ("fee".to_string(), 1500, "pending".to_string()),
            ("reimbursement".to_string(), 1240, "pending".to_string()),
        ]
    );
    let note = mine["lines"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "reimbursement")
        .unwrap()["note"]
        .clone();
    assert_eq!(note, "QA approved $12.40 of the receipt's $18.40.");
    // Another shopper sees none of it.
    let (_, other) = panel_member(
        &app,
        &access(&app.admin_tokens(&unique_email("a")).await),
        "other",
        json!({}),
        false,
    )
    .await;
    let theirs = get_json(&app, "/api/v1/me/earnings", &other).await;
    assert_eq!(theirs["lines"]["total"], 0);
    app.stop().await;
}

/// Two payout runs at the same moment: every owed line is paid by exactly one of them.
#[tokio::test]
async fn two_payout_runs_at_once_pay_each_line_once() {
    let Some(app) = spawn_app(Backend::Postgres, "pay race").await else {
        return;
    };
    let qa = reviewer(&app).await;
    let rules = json!({"reimbursement_cap_cents": 1000, "dispute_days": 0});
    let (scheduler, _, store, project) = setup(&app, rules).await;
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    let mut shoppers = Vec::new();
    for receipt in [500, 700, 900] {
        let (id, _, token) = report_for(&app, &scheduler, project, store, 100, receipt).await;
        let (status, _) = post(
            &app,
            &format!("/api/v1/reports/{id}/approve"),
            &qa,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        shoppers.push((token, 1500 + 100 + receipt));
    }
    let admin = access(&app.admin_tokens(&unique_email("paymaster")).await);
    let empty = json!({});
    let (a, b, c) = tokio::join!(
        app.post_json_auth("/api/v1/payouts", &admin, &empty),
        app.post_json_auth("/api/v1/payouts", &admin, &empty),
        app.post_json_auth("/api/v1/payouts", &admin, &empty),
    );
    let mut made = Vec::new();
    for r in [a, b, c] {
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        match status {
            StatusCode::CREATED => made.push(body),
            StatusCode::CONFLICT => assert_eq!(body["code"], "nothing_to_pay", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!made.is_empty());
    // Every line of these shoppers is in exactly one payout, and the payouts' totals add up
    // to what the lines in them are worth.
    let mut in_payouts: std::collections::BTreeMap<i64, i64> = Default::default();
    for (token, expected) in &shoppers {
        let mine = get_json(&app, "/api/v1/me/earnings", token).await;
        assert_eq!(mine["owed_cents"].as_i64(), Some(*expected), "{mine}");
        for line in mine["lines"]["items"].as_array().unwrap() {
            let payout = line["payout_id"].as_i64().expect("in a payout");
            *in_payouts.entry(payout).or_default() += line["amount_cents"].as_i64().unwrap();
        }
    }
    let made_ids: Vec<i64> = made.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    for (payout, cents) in &in_payouts {
        assert!(
            made_ids.contains(payout),
            "line in payout {payout}, not one of {made_ids:?}"
        );
        let p = made.iter().find(|p| p["id"] == *payout).unwrap();
        assert!(p["total_cents"].as_i64().unwrap() >= *cents);
    }
    let total: i64 = made
        .iter()
        .map(|p| p["total_cents"].as_i64().unwrap())
        .sum();
    let lines_total: i64 = shoppers.iter().map(|(_, e)| e).sum();
    assert!(total >= lines_total, "{total} < {lines_total}");
    app.stop().await;
}

/// Pay on the pages: QA types a reimbursement that is not an amount (named beside its field,
/// the report still waiting), then approves $9.00 of the receipt; the shopper's earnings page
/// shows each line and what it waits for; the admin's pay desk shows it pending, then (past
/// the dispute days) makes a payout, offers its file, and marks it paid; the shopper sees paid.
#[tokio::test]
async fn pay_on_the_pages() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "pay pages").await else {
        return;
    };
    let rules = json!({"reimbursement_cap_cents": 1000, "dispute_days": 2});
    let (_, id, _, token) = handed_in(&app, rules, 0, 1250).await;
    let shopper_email = email_of(&app, &token).await;
    let qa = reviewer(&app).await;
    let mut reviewer_page = signed_in(&json!({ "access_token": qa }));
    let page = format!("/qa/reports/{id}");
    let (_, html, _) = reviewer_page.get(&app, &page).await;
    assert!(html.contains(r#"name="reimbursement""#), "{html}");
    let csrf = csrf_field(&html);
    let decide = format!("/qa/reports/{id}/decide");
    let (status, html, _) = reviewer_page
        .post(
            &app,
            &decide,
            &[
                ("csrf_token", &csrf),
                ("action", "approve"),
                ("reimbursement", "nine dollars"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="reimbursement-error""#)
            && html.contains("Enter an amount in dollars")
            && html.contains(r#"value="nine dollars""#),
        "{html}"
    );
    let (status, _, _) = reviewer_page
        .post(
            &app,
            &decide,
            &[
                ("csrf_token", &csrf),
                ("action", "approve"),
                ("reimbursement", "9"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let mut shopper = signed_in(&json!({ "access_token": token }));
    let (status, html, _) = shopper.get(&app, "/shopper/earnings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("$15.00")
            && html.contains("$9.00")
            && html.contains("QA approved $9.00 of the receipt&#39;s $12.50.")
            && html.contains("The client may dispute the report until"),
        "{html}"
    );

    let admin_email = unique_email("desk");
    let admin = access(&app.admin_tokens(&admin_email).await);
    let mut desk = signed_in(&json!({ "access_token": admin }));
    let (status, html, _) = desk.get(&app, "/staff/pay").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Pending (the client may still dispute)</dt><dd>$24.00"),
        "{html}"
    );
    let csrf = csrf_field(&html);
    let (status, _, location) = desk
        .post(&app, "/staff/pay/payouts", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = desk.get(&app, location.as_deref().unwrap()).await;
    assert!(html.contains("Nothing is owed right now"), "{html}");

    // Past the dispute days.
    app.state
        .clock
        .advance(chrono::TimeDelta::days(2) + chrono::TimeDelta::minutes(1))
        .unwrap();
    let admin = again(&app, &admin_email).await;
    let mut desk = signed_in(&json!({ "access_token": admin }));
    let (_, html, _) = desk.get(&app, "/staff/pay").await;
    let csrf = csrf_field(&html);
    let (_, _, location) = desk
        .post(&app, "/staff/pay/payouts", &[("csrf_token", &csrf)])
        .await;
    let (_, html, _) = desk.get(&app, location.as_deref().unwrap()).await;
    assert!(html.contains("made: $24.00 to 1 shopper."), "{html}");
    let payout = html
        .split("/staff/pay/payouts/")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap()
        .to_string();
    let (status, csv, _) = desk
        .get(&app, &format!("/staff/pay/payouts/{payout}.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains(&shopper_email) && csv.contains(",24.00,USD,"),
        "{csv}"
    );
    let (status, _, _) = desk
        .post(
            &app,
            &format!("/staff/pay/payouts/{payout}/paid"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let token = again(&app, &shopper_email).await;
    let mut shopper = signed_in(&json!({ "access_token": token }));
    let (_, html, _) = shopper.get(&app, "/shopper/earnings").await;
    assert!(
        html.contains("Paid</dt><dd>$24.00") && html.matches(">paid<").count() == 2,
        "{html}"
    );
    app.stop().await;
}
