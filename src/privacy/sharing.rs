//! Friendly-competitor sharing. Staff make a **share** for an organization marked a friendly
//! competitor: an area (states, or a point and a radius) and a purpose. It lists the **name
//! and street address** of the active shoppers in the area whose sharing consent is in force
//! at that moment, with **email and phone** only for those who also gave the separate contact
//! consent; the list is fixed when made (`share_rows`). Each person shared gets a disclosure
//! record naming the share. The recipient gets the list by a link that works once and expires
//! (mailed through the outbox), or staff download it (each read an access record). When a
//! person withdraws a sharing consent, every later share leaves them out (the consent is read
//! when a share is made), and each earlier recipient is mailed a notice to stop using and
//! delete their data.
//!
//! It reads the panel's tables directly (this module stands below the panel).

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use url::Url;

use super::access;
use super::consent::Purpose;
use super::inventory::Category;
use crate::db::schema::{
    consents, disclosures, organizations, share_rows, shares, shoppers, users,
};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::UserId;
use crate::keys::Keys;
use crate::mail::{Outgoing, store as outbox};
use crate::matching::{Coordinates, haversine_km};

/// Days a mailed link works (once).
pub const LINK_DAYS: i64 = 7;
/// Most ids one statement lists.
const CHUNK: usize = 5_000;

/// Where the shoppers of a share live: a list of states, or a point and a radius.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Two-letter state codes (`NY`, `NJ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// 1–500 km around the point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_km: Option<f64>,
}

/// The area checked: states, or a point and a radius.
enum Place {
    States(Vec<String>),
    Circle(Coordinates, f64),
}

impl Area {
    fn checked(&self) -> Result<Place, FieldError> {
        let point = (self.latitude, self.longitude, self.radius_km);
        match (&self.states, point) {
            (Some(states), (None, None, None)) => {
                let states: Vec<String> = states
                    .iter()
                    .map(|s| s.trim().to_ascii_uppercase())
                    .collect();
                if states.is_empty()
                    || states.len() > 60
                    || states
                        .iter()
                        .any(|s| s.len() != 2 || !s.chars().all(|c| c.is_ascii_alphabetic()))
                {
                    Err(FieldError::new(
                        "area.states",
                        "List one to 60 two-letter state codes, like NY or NJ.",
                    ))
                } else {
                    Ok(Place::States(states))
                }
            }
            (None, (Some(lat), Some(lon), Some(radius))) => {
                let at = Coordinates::new(lat, lon).map_err(|_| {
                    FieldError::new(
                        "area",
                        "The point is not on the map: check its latitude and longitude.",
                    )
                })?;
                if !(1.0..=500.0).contains(&radius) {
                    Err(FieldError::new("area.radius_km", "must be 1 to 500 km"))
                } else {
                    Ok(Place::Circle(at, radius))
                }
            }
            _ => Err(FieldError::new(
                "area",
                "Give either states, or a latitude, a longitude and a radius in km.",
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// An organization marked a friendly competitor.
    pub organization_id: i64,
    /// Why it receives the list, in words (the shoppers read it).
    pub purpose: String,
    pub area: Area,
    /// Where to mail the download link (it works once, for 7 days); none: staff download it.
    #[serde(default)]
    pub recipient_email: Option<String>,
}

/// A share as staff and the privacy officer read it (no person's data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShareView {
    pub id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub purpose: String,
    pub area: Area,
    /// Shoppers in its list.
    pub people: i32,
    /// Of them, with email and phone (the contact consent).
    pub with_contact: i64,
    pub recipient_email: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub link_expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub downloaded_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    /// The list as CSV, for staff.
    pub csv: String,
}

/// A shopper the area holds: (id, legal name, street, city, state, ZIP, phone, email,
/// latitude, longitude).
type Candidate = (
    UserId,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    f64,
    f64,
);

fn candidates(conn: &mut DbConnection, place: &Place) -> QueryResult<Vec<Candidate>> {
    let base = shoppers::table
        .inner_join(users::table.on(users::id.eq(shoppers::user_id)))
        .filter(shoppers::status.eq("active"))
        .filter(users::disabled_at.is_null())
        .select((
            shoppers::user_id,
            shoppers::legal_name,
            shoppers::street,
            shoppers::city,
            shoppers::state,
            shoppers::zip,
            shoppers::phone,
            users::email,
            shoppers::latitude,
            shoppers::longitude,
        ))
        .into_boxed();
    match place {
        Place::States(states) => base.filter(shoppers::state.eq_any(states)).load(conn),
        Place::Circle(at, radius) => {
            // A box around the circle first, then the distance.
            let dlat = radius / 111.0;
            let dlon = radius / (111.0 * at.lat().to_radians().cos().max(0.01));
            let rows: Vec<Candidate> = base
                .filter(shoppers::latitude.between(at.lat() - dlat, at.lat() + dlat))
                .filter(shoppers::longitude.between(at.lon() - dlon, at.lon() + dlon))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .filter(|c| {
                    Coordinates::new(c.8, c.9).is_ok_and(|home| haversine_km(*at, home) <= *radius)
                })
                .collect())
        }
    }
}

/// The current choice of each person for both sharing purposes: (name and address, contact).
fn sharing_choices(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> QueryResult<HashMap<UserId, (bool, bool)>> {
    let mut latest: HashMap<(UserId, String), (i64, bool)> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, UserId, String, bool)> = consents::table
            .filter(consents::user_id.eq_any(chunk))
            .filter(consents::purpose.eq_any([
                Purpose::ShareNameAddress.as_str(),
                Purpose::ShareContact.as_str(),
            ]))
            .select((
                consents::id,
                consents::user_id,
                consents::purpose,
                consents::granted,
            ))
            .load(conn)?;
        for (id, user, purpose, granted) in rows {
            let entry = latest.entry((user, purpose)).or_insert((id, granted));
            if id > entry.0 {
                *entry = (id, granted);
            }
        }
    }
    let yes = |user: UserId, p: Purpose| {
        latest
            .get(&(user, p.as_str().to_string()))
            .is_some_and(|(_, g)| *g)
    };
    Ok(ids
        .iter()
        .map(|id| {
            (
                *id,
                (
                    yes(*id, Purpose::ShareNameAddress),
                    yes(*id, Purpose::ShareContact),
                ),
            )
        })
        .collect())
}

fn share_not_found() -> AppError {
    AppError::not_found("No share has this id.")
}

/// A share as stored, with its organization's name.
type ShareRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i32,
    NaiveDateTime,
);

fn view_of(conn: &mut DbConnection, id: i64) -> AppResult<ShareView> {
    let row: ShareRow = shares::table
        .inner_join(organizations::table.on(organizations::id.eq(shares::organization_id)))
        .filter(shares::id.eq(id))
        .select((
            shares::id,
            shares::organization_id,
            organizations::name,
            shares::purpose,
            shares::area,
            shares::recipient_email,
            shares::link_expires_at,
            shares::downloaded_at,
            shares::people,
            shares::created_at,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(share_not_found)?;
    let with_contact = share_rows::table
        .filter(share_rows::share_id.eq(id))
        .filter(share_rows::email.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(ShareView {
        id: row.0,
        organization_id: row.1,
        organization: row.2,
        purpose: row.3,
        area: serde_json::from_str(&row.4).unwrap_or_default(),
        recipient_email: row.5,
        link_expires_at: row.6,
        downloaded_at: row.7,
        people: row.8,
        with_contact,
        created_at: row.9,
        csv: format!("/api/v1/shares/{}.csv", row.0),
    })
}

/// Makes a share: the list fixed now, a disclosure record for each person in it, and the
/// download link mailed to the recipient when one is named.
pub fn create(
    conn: &mut DbConnection,
    keys: &Keys,
    public_url: &Url,
    by: UserId,
    request: &ShareRequest,
    now: NaiveDateTime,
) -> AppResult<ShareView> {
    let mut errors = Vec::new();
    let purpose = request.purpose.trim().to_string();
    if !(3..=500).contains(&purpose.chars().count()) {
        errors.push(FieldError::new(
            "purpose",
            "Say why the company receives the list (3 to 500 characters).",
        ));
    }
    let place = request.area.checked().map_err(|e| errors.push(e)).ok();
    let recipient = request
        .recipient_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    if recipient
        .as_deref()
        .is_some_and(|e| e.len() > 254 || !e.contains('@') || e.contains(char::is_whitespace))
    {
        errors.push(FieldError::new(
            "recipient_email",
            "Type the recipient's email address, like hiring@example.com.",
        ));
    }
    write_transaction(conn, |conn| {
        let organization: Option<(String, bool)> = organizations::table
            .find(request.organization_id)
            .select((organizations::name, organizations::friendly_competitor))
            .first(conn)
            .optional()?;
        match &organization {
            None => errors.push(FieldError::new(
                "organization_id",
                "No organization has this id.",
            )),
            Some((name, false)) => errors.push(FieldError::new(
                "organization_id",
                format!(
                    "{name} is not marked a friendly competitor: shoppers' data goes only to those."
                ),
            )),
            Some(_) => {}
        }
        let (Some(place), Some((organization, _)), true) =
            (place.as_ref(), organization, errors.is_empty())
        else {
            return Err(AppError::validation(std::mem::take(&mut errors)));
        };
        let found = candidates(conn, place)?;
        let ids: Vec<UserId> = found.iter().map(|c| c.0).collect();
        let choices = sharing_choices(conn, &ids)?;
        // A person asking to be deleted is never shared while the request is open.
        let deleting = super::requests::deletion_pending(conn, &ids)?;
        // A purpose a later notice added applies only to those who accepted that notice.
        let terms_name_address: HashSet<UserId> =
            super::versions::covered(conn, Purpose::ShareNameAddress, ids.clone())?
                .into_iter()
                .collect();
        let terms_contact: HashSet<UserId> =
            super::versions::covered(conn, Purpose::ShareContact, ids.clone())?
                .into_iter()
                .collect();
        let (link, link_hash, expires) = match &recipient {
            Some(_) => {
                let token = crate::keys::random_token(32);
                let hash = keys.keyed_hash("share link", &token);
                (
                    Some(token),
                    Some(hash),
                    Some(now + Duration::days(LINK_DAYS)),
                )
            }
            None => (None, None, None),
        };
        let area = serde_json::to_string(&request.area).unwrap_or_default();
        let id: i64 = diesel::insert_into(shares::table)
            .values((
                shares::organization_id.eq(request.organization_id),
                shares::purpose.eq(&purpose),
                shares::area.eq(&area),
                shares::recipient_email.eq(recipient.as_deref()),
                shares::link_hash.eq(link_hash.as_deref()),
                shares::link_expires_at.eq(expires),
                shares::created_by.eq(by),
                shares::created_at.eq(now),
            ))
            .returning(shares::id)
            .get_result(conn)?;
        let mut people = 0;
        for (uid, name, street, city, state, zip, phone, email, _, _) in found {
            let (name_address, contact) = choices.get(&uid).copied().unwrap_or_default();
            let name_address = name_address && terms_name_address.contains(&uid);
            let contact = contact && terms_contact.contains(&uid);
            if !name_address || deleting.contains(&uid) {
                continue;
            }
            diesel::insert_into(share_rows::table)
                .values((
                    share_rows::share_id.eq(id),
                    share_rows::shopper_id.eq(uid),
                    share_rows::legal_name.eq(&name),
                    share_rows::street.eq(&street),
                    share_rows::city.eq(&city),
                    share_rows::state.eq(&state),
                    share_rows::zip.eq(&zip),
                    share_rows::email.eq(contact.then_some(email.as_str())),
                    share_rows::phone.eq(if contact { phone.as_deref() } else { None }),
                ))
                .execute(conn)?;
            let what = if contact {
                "name, street address, email and phone"
            } else {
                "name and street address"
            };
            diesel::insert_into(disclosures::table)
                .values((
                    disclosures::subject_id.eq(uid),
                    disclosures::recipient.eq(&organization),
                    disclosures::categories
                        .eq(super::access::category_list(&[Category::A, Category::B])),
                    disclosures::purpose.eq(format!("{what}, for: {purpose}")),
                    disclosures::disclosed_at.eq(now),
                    disclosures::share_id.eq(id),
                ))
                .execute(conn)?;
            people += 1;
        }
        diesel::update(shares::table.find(id))
            .set(shares::people.eq(people))
            .execute(conn)?;
        if let (Some(to), Some(token)) = (&recipient, &link) {
            let mut url = public_url
                .join("/shares/download")
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
            url.query_pairs_mut().append_pair("token", token);
            outbox::enqueue(
                conn,
                &Outgoing {
                    to: to.clone(),
                    subject: format!("Shoppers for {organization}: your list"),
                    body: format!(
                        "Hello,\n\nThe list of {people} shoppers you asked for ({purpose}) is ready. The link works once, until {} UTC:\n\n{url}\n\nThese shoppers agreed to have their name and street address shared with companies like yours (some also their email and phone). Use them only for this purpose, keep them safe, and delete them when asked: we will tell you if someone withdraws their consent.\n",
                        (now + Duration::days(LINK_DAYS)).format("%b %-d, %Y %H:%M")
                    ),
                },
                now,
            )?;
        }
        view_of(conn, id)
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<ShareView> {
    view_of(conn, id)
}

/// The shares made, newest first.
pub fn list(
    conn: &mut DbConnection,
    page: crate::paging::PageRequest,
) -> AppResult<crate::paging::Paged<ShareView>> {
    let total: i64 = shares::table.count().get_result(conn)?;
    let ids: Vec<i64> = shares::table
        .order(shares::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(shares::id)
        .load(conn)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(view_of(conn, id)?);
    }
    Ok(crate::paging::Paged::new(items, page, total))
}

/// The organizations marked friendly competitors, by name (at most 500): (id, name).
pub fn friendly_competitors(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
    organizations::table
        .filter(organizations::friendly_competitor.eq(true))
        .order(organizations::name.asc())
        .limit(500)
        .select((organizations::id, organizations::name))
        .load(conn)
}

/// The fixed list as CSV (name, street, city, state, ZIP, email, phone).
fn csv_of(conn: &mut DbConnection, id: i64) -> AppResult<(String, Vec<UserId>)> {
    type Row = (
        UserId,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = share_rows::table
        .filter(share_rows::share_id.eq(id))
        .order(share_rows::shopper_id)
        .select((
            share_rows::shopper_id,
            share_rows::legal_name,
            share_rows::street,
            share_rows::city,
            share_rows::state,
            share_rows::zip,
            share_rows::email,
            share_rows::phone,
        ))
        .load(conn)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::internal(anyhow::anyhow!("csv: {e}"));
    out.write_record(["name", "street", "city", "state", "zip", "email", "phone"])
        .map_err(fail)?;
    let mut who = Vec::with_capacity(rows.len());
    for (uid, name, street, city, state, zip, email, phone) in rows {
        who.push(uid);
        out.write_record(
            [
                name,
                street,
                city,
                state,
                zip,
                email.unwrap_or_default(),
                phone.unwrap_or_default(),
            ]
            .iter()
            .map(|c| crate::text::neutral_cell(c)),
        )
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    Ok((text, who))
}

/// Staff member `by` downloads the share's list; each person's row read is an access record.
pub fn staff_csv(
    conn: &mut DbConnection,
    by: UserId,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<String> {
    write_transaction(conn, |conn| {
        view_of(conn, id)?;
        let (text, who) = csv_of(conn, id)?;
        let purpose = format!("share {id}: the list for the friendly competitor");
        for uid in who {
            access::record(conn, by, uid, &[Category::A, Category::B], &purpose, now)?;
        }
        Ok(text)
    })
}

/// The recipient's download by the mailed link: once, before it expires. A link used or
/// expired is 410 `link_spent`.
pub fn download(
    conn: &mut DbConnection,
    keys: &Keys,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<(i64, String)> {
    let hash = keys.keyed_hash("share link", token.trim());
    write_transaction(conn, |conn| {
        let id: Option<i64> = diesel::update(
            shares::table
                .filter(shares::link_hash.eq(&hash))
                .filter(shares::downloaded_at.is_null())
                .filter(shares::link_expires_at.gt(now)),
        )
        .set(shares::downloaded_at.eq(now))
        .returning(shares::id)
        .get_result(conn)
        .optional()?;
        let Some(id) = id else {
            return Err(AppError::new(
                actix_web::http::StatusCode::GONE,
                "link_spent",
                "This link has been used already or has expired: ask the company that sent it for a new list.",
            ));
        };
        let (text, _) = csv_of(conn, id)?;
        Ok((id, text))
    })
}

/// `user` withdrew the sharing consent for `purpose`: each earlier recipient of that data (a
/// share with a recipient's address) is mailed a notice to stop using and delete it (all of
/// it, or the email and phone only when the contact consent is withdrawn). How many notices.
pub fn notify_withdrawal(
    conn: &mut DbConnection,
    user: UserId,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let contact_only = purpose == Purpose::ShareContact;
    type Given = (
        i64,
        String,
        Option<String>,
        NaiveDateTime,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let given: Vec<Given> = share_rows::table
        .inner_join(shares::table.on(shares::id.eq(share_rows::share_id)))
        .inner_join(organizations::table.on(organizations::id.eq(shares::organization_id)))
        .filter(share_rows::shopper_id.eq(user))
        .select((
            shares::id,
            organizations::name,
            shares::recipient_email,
            shares::created_at,
            share_rows::legal_name,
            share_rows::street,
            share_rows::city,
            share_rows::state,
            share_rows::zip,
            share_rows::email,
        ))
        .load(conn)?;
    let mut sent = 0;
    for (id, organization, to, made, name, street, city, state, zip, contact) in given {
        // Without a recipient's address there is nobody to tell; the contact consent matters
        // only where email and phone went.
        let Some(to) = to else { continue };
        if contact_only && contact.is_none() {
            continue;
        }
        outbox::enqueue(
            conn,
            &Outgoing {
                to,
                subject: format!("Please delete a shopper's data ({organization}, list {id})"),
                body: format!(
                    "Hello,\n\nOn {} we sent you a list of shoppers (list {id}). One of them has withdrawn their consent to share {}, on {}:\n\n{name}\n{street}\n{city}, {state} {zip}\n\nPlease stop using {} at once and delete {}.\n",
                    made.format("%b %-d, %Y"),
                    if contact_only {
                        "their email and phone"
                    } else {
                        "their data"
                    },
                    now.format("%b %-d, %Y"),
                    if contact_only {
                        "their email and phone number"
                    } else {
                        "their data"
                    },
                    if contact_only {
                        "them"
                    } else {
                        "it, with any email or phone number we gave you for them"
                    },
                ),
            },
            now,
        )?;
        sent += 1;
    }
    Ok(sent)
}

/// Who was told of a deletion, and who could not be (no address on file): company names.
#[derive(Debug, Clone, Default)]
pub struct DeletionNotices {
    pub told: Vec<String>,
    pub untold: Vec<String>,
}

/// A person is being deleted: every company that received them in a share is mailed a notice
/// to delete them, naming the list and the line of its file rather than the person (whose
/// details we no longer keep). Other recipients of their data (the disclosure log) that we
/// have no address for are answered as untold, for the requester to know.
pub fn notify_deletion(
    conn: &mut DbConnection,
    user: UserId,
    asked: bool,
    now: NaiveDateTime,
) -> QueryResult<DeletionNotices> {
    let why = if asked {
        format!(
            "asked us on {} to delete their data",
            now.format("%b %-d, %Y")
        )
    } else {
        "has been deleted from our panel, as our retention schedule requires".to_string()
    };
    let mut notices = DeletionNotices::default();
    let given: Vec<(i64, String, Option<String>, NaiveDateTime)> = share_rows::table
        .inner_join(shares::table.on(shares::id.eq(share_rows::share_id)))
        .inner_join(organizations::table.on(organizations::id.eq(shares::organization_id)))
        .filter(share_rows::shopper_id.eq(user))
        .select((
            shares::id,
            organizations::name,
            shares::recipient_email,
            shares::created_at,
        ))
        .load(conn)?;
    for (id, organization, to, made) in given {
        let Some(to) = to else {
            notices.untold.push(organization);
            continue;
        };
        // The line of the file: the header is line 1, rows follow in shopper order.
        let before: i64 = share_rows::table
            .filter(share_rows::share_id.eq(id))
            .filter(share_rows::shopper_id.lt(user))
            .count()
            .get_result(conn)?;
        outbox::enqueue(
            conn,
            &Outgoing {
                to,
                subject: format!("Please delete a shopper's data ({organization}, list {id})"),
                body: format!(
                    "Hello,\n\nOn {} we sent you a list of shoppers (list {id}, the file shoppers-{id}.csv). The person on line {} of that file {why}.\n\nPlease delete their line, and anything you made from it, at once. We do not repeat their details here: we no longer keep them.\n",
                    made.format("%b %-d, %Y"),
                    before + 2,
                ),
            },
            now,
        )?;
        notices.told.push(organization);
    }
    let others: Vec<String> = disclosures::table
        .filter(disclosures::subject_id.eq(user))
        .filter(disclosures::share_id.is_null())
        .select(disclosures::recipient)
        .distinct()
        .load(conn)?;
    notices.untold.extend(others);
    notices.told.sort();
    notices.told.dedup();
    notices.untold.sort();
    notices.untold.dedup();
    Ok(notices)
}
