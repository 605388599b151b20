//! Versions of the privacy notice: publishing one mails everyone the changes before it takes
//! effect; a purpose it adds applies only to people who accepted it, where the data is used
//! (a share leaves out a shopper who said yes to sharing under the old terms only).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::post;
use crate::helpers::*;

on_both_backends!(a_purpose_added_by_a_new_notice_applies_only_to_those_who_accept_it);

async fn a_purpose_added_by_a_new_notice_applies_only_to_those_who_accept_it(backend: Backend) {
    let Some(app) = spawn_app(backend, "notice_versions").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Notice Friends", "friendly_competitor": true}),
    )
    .await;
    let friendly = friendly["id"].as_i64().unwrap();
    let oregon = json!({"state": "OR", "city": "Portland", "zip": "97201",
                        "consents": {"share_name_address": true}});
    let (_, ada) = panel_member(&app, &scheduler, "ada", oregon.clone(), true).await;
    let (_, bea) = panel_member(&app, &scheduler, "bea", oregon, true).await;
    let (ada_email, bea_email) = (email_of(&app, &ada).await, email_of(&app, &bea).await);

    // Refused: a day that is not after today, a purpose we do not have; nothing is mailed.
    let today = app.state.clock.naive().date();
    let (status, problem) = post(
        &app,
        "/api/v1/privacy/notice-versions",
        &officer,
        json!({"version": "2027-01", "effective_on": today.to_string(),
               "changes": "We will share names with more companies.", "adds": ["spam"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["effective_on", "adds[0]"], "{problem}");

    // Published for tomorrow, adding the sharing of names and addresses: everyone is mailed.
    let tomorrow = today.succ_opt().unwrap();
    let changes = "From now on we may share your name and street address with friendly mystery-shopping companies for the purpose of recruiting you, if you say yes.";
    let (status, published) = post(
        &app,
        "/api/v1/privacy/notice-versions",
        &officer,
        json!({"version": "2027-01", "effective_on": tomorrow.to_string(),
               "changes": changes, "adds": ["share_name_address"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert!(published["mailed"].as_u64().unwrap() >= 2, "{published}");
    for to in [&ada_email, &bea_email] {
        let mail = wait_for_mail(&app.mail_folders(), to, "Our privacy notice changes on", 1).await;
        assert!(mail[0].contains("recruiting you"), "{}", mail[0]);
        assert!(
            mail[0].contains("apply to you only if you accept"),
            "{}",
            mail[0]
        );
    }
    let (status, _) = post(
        &app,
        "/api/v1/privacy/notice-versions",
        &officer,
        json!({"version": "2027-01", "effective_on": tomorrow.to_string(), "changes": changes}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Ada accepts; Bea does not.
    let (status, mine) = post(
        &app,
        "/api/v1/me/notice/accept",
        &ada,
        json!({"version": "2027-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["versions"][0]["accepted"], true, "{mine}");
    let (status, _) = post(
        &app,
        "/api/v1/me/notice/accept",
        &bea,
        json!({"version": "1999"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bea_notice = get_json(&app, "/api/v1/me/notice", &bea).await;
    assert_eq!(bea_notice["versions"][0]["accepted"], false, "{bea_notice}");

    // The share: both said yes to sharing, but only Ada accepted the terms that added it.
    let (status, share) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly, "purpose": "Recruiting in Oregon",
               "area": {"states": ["OR"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/shares/{}.csv", share["id"])))
        .bearer_auth(&scheduler)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("ada Tester"), "{csv}");
    assert!(!csv.contains("bea Tester"), "{csv}");
    let bea_disclosures = get_json(&app, "/api/v1/me/disclosures", &bea).await;
    assert_eq!(bea_disclosures["total"], 0, "{bea_disclosures}");

    // The public list of versions.
    let list: Value = get_json(&app, "/api/v1/privacy/notice-versions", &bea).await;
    assert_eq!(
        list["items"][0]["adds"],
        json!(["share_name_address"]),
        "{list}"
    );
    app.stop().await;
}
