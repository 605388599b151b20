//! The shopper's accepted visits as an iCalendar file (RFC 5545), for any calendar app.

use crate::ids::ShopperId;
use chrono::{Duration, NaiveDateTime};

use super::model::State;
use super::service::accepted;
use crate::db::DbConnection;
use crate::error::AppResult;

/// Escapes text for an iCalendar property value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// The shopper's accepted visits as an iCalendar file: one all-day event over the planned
/// day, or over the whole window when no day is planned.
pub fn calendar(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    now: NaiveDateTime,
) -> AppResult<String> {
    let list = accepted(conn, shopper_id)?;
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Incognito//Assignments//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
    ];
    for a in list.iter().filter(|a| a.state == State::Accepted) {
        let (start, end) = match a.visit_on {
            Some(day) => (day, day),
            None => (a.job.window_start, a.job.window_end),
        };
        let end = end + Duration::days(1);
        let title = format!("Mystery shop {} ({})", a.job.code, a.job.area);
        let place = a.job.address.clone().unwrap_or_else(|| a.job.area.clone());
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:assignment-{}@incognito", a.id),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", start.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")),
            format!("SUMMARY:{}", ics_text(&title)),
            format!("LOCATION:{}", ics_text(&place)),
            format!(
                "DESCRIPTION:{}",
                ics_text(&format!(
                    "Window {} to {}. Fee {}.",
                    a.job.window_start, a.job.window_end, a.job.fee_cents
                ))
            ),
            "END:VEVENT".to_string(),
        ]);
    }
    lines.push("END:VCALENDAR".to_string());
    Ok(lines.join("\r\n") + "\r\n")
}
