//! Hot alerts: a report released to its client whose score is below its project's
//! `alert_below_percent`, or whose answer to `alert_question` is one of `alert_answers`, is
//! mailed at once, through the outbox and in the release's transaction, to each of the
//! client's reviewers who chose alerts; with a link to the report, never the shopper's
//! identity. Once per report: `hot_alerts` holds the reports alerted.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use url::Url;

use super::service::{released_of, scored};
use crate::auth::{CurrentUser, Role};
use crate::clients::store as clients;
use crate::db::DbConnection;
use crate::db::schema::{hot_alerts, users};
use crate::error::AppResult;
use crate::ids::{AssignmentId, ClientId, UserId};
use crate::mail::{Outgoing, store as outbox};
use crate::reports::Answer;

/// Why a released report alerts, in words; empty when it does not.
fn reasons(
    percent: Option<f64>,
    below: Option<i32>,
    asked: Option<(&str, Option<&Answer>)>,
    alerting: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(p), Some(limit)) = (percent, below)
        && p < f64::from(limit)
    {
        out.push(format!(
            "it scored {p:.0}%, below the {limit}% the project alerts at"
        ));
    }
    if let Some((label, Some(answer))) = asked {
        let given: Vec<&str> = match answer {
            Answer::Choice(v) => vec![v.as_str()],
            Answer::Choices(vs) => vs.iter().map(String::as_str).collect(),
            Answer::Number(_) => Vec::new(),
        };
        if let Some(hit) = given
            .iter()
            .find(|g| alerting.iter().any(|a| a.eq_ignore_ascii_case(g)))
        {
            out.push(format!("“{label}” was answered “{hit}”"));
        }
    }
    out
}

/// The client's reviewers who chose alerts (enabled accounts).
fn recipients(conn: &mut DbConnection, client: ClientId) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::client_id.eq(client))
        .filter(users::role.eq(Role::ClientReviewer))
        .filter(users::hot_alerts.eq(true))
        .filter(users::disabled_at.is_null())
        .select(users::email)
        .load(conn)
}

/// Checks report `id`, just released, against its project's alert rules, and mails the
/// client's chosen reviewers if it crosses one (once per report). How many mails it queued.
pub fn on_release(
    conn: &mut DbConnection,
    public_url: &Url,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let already: bool = diesel::select(diesel::dsl::exists(
        hot_alerts::table.filter(hot_alerts::assignment_id.eq(id)),
    ))
    .get_result(conn)?;
    if already {
        return Ok(0);
    }
    let assignment = crate::assignments::store::find(conn, id)?;
    let Some(assignment) = assignment else {
        return Ok(0);
    };
    let job = clients::find_job(conn, assignment.job_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    if project.alert_below_percent.is_none() && project.alert_question.is_none() {
        return Ok(0);
    }
    let Some(row) = released_of(conn, project.client_id, Some(id))?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    let (q, answers) = scored(conn, &row)?;
    let percent = q.score(&answers).percent();
    let alerting = project.alert_answers();
    let asked = project.alert_question.as_deref().and_then(|name| {
        q.question(name)
            .map(|question| (question.label.as_str(), answers.get(name)))
    });
    let why = reasons(percent, project.alert_below_percent, asked, &alerting);
    if why.is_empty() {
        return Ok(0);
    }
    let to = recipients(conn, project.client_id)?;
    let link = public_url
        .join(&format!("/client/reports/{id}"))
        .map_or_else(|_| format!("/client/reports/{id}"), |u| u.to_string());
    let reasons = why.join("; ");
    for address in &to {
        let body = format!(
            "A report of store {} ({}, {}) was just released to you, and it needs your attention: {reasons}.\n\nRead it here: {link}\n\nYou receive these alerts because you chose them on your reports page; you can stop them there.\n",
            row.store_code, row.store_name, row.store_city
        );
        outbox::enqueue(
            conn,
            &Outgoing {
                to: address.clone(),
                subject: format!("Alert: store {}, report {id}", row.store_code),
                body,
            },
            now,
        )?;
    }
    diesel::insert_into(hot_alerts::table)
        .values((
            hot_alerts::assignment_id.eq(id),
            hot_alerts::reasons.eq(&reasons),
            hot_alerts::recipients.eq(i32::try_from(to.len()).unwrap_or(i32::MAX)),
            hot_alerts::sent_at.eq(now),
        ))
        .execute(conn)?;
    Ok(to.len())
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertChoice {
    /// Mail me at once when a released report of my client crosses its project's alert rules.
    pub hot_alerts: bool,
}

/// A client reviewer chooses whether to receive hot alerts.
pub fn choose(conn: &mut DbConnection, user: &CurrentUser, on: bool) -> AppResult<bool> {
    user.require(&[Role::ClientReviewer])?;
    diesel::update(users::table.find(user.id))
        .set(users::hot_alerts.eq(on))
        .execute(conn)?;
    Ok(on)
}

/// Whether `user` receives hot alerts.
pub fn chosen(conn: &mut DbConnection, user: UserId) -> AppResult<bool> {
    Ok(users::table
        .find(user)
        .select(users::hot_alerts)
        .first(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_alerts_below_the_threshold_or_on_a_named_answer() {
        let no = Answer::Choice("no".into());
        let alerting = vec!["no".to_string()];
        assert_eq!(
            reasons(Some(45.0), Some(60), None, &[]),
            ["it scored 45%, below the 60% the project alerts at"]
        );
        assert!(reasons(Some(60.0), Some(60), None, &[]).is_empty());
        assert!(reasons(None, Some(60), None, &[]).is_empty());
        assert_eq!(
            reasons(
                Some(90.0),
                Some(60),
                Some(("Were you greeted?", Some(&no))),
                &alerting
            ),
            ["“Were you greeted?” was answered “no”"]
        );
        let yes = Answer::Choice("yes".into());
        assert!(reasons(Some(90.0), None, Some(("Greeted?", Some(&yes))), &alerting).is_empty());
        assert!(reasons(Some(90.0), None, Some(("Greeted?", None)), &alerting).is_empty());
        let several = Answer::Choices(vec!["fries".into(), "NO".into()]);
        assert_eq!(
            reasons(None, None, Some(("Items", Some(&several))), &alerting).len(),
            1
        );
    }
}
