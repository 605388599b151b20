//! Shopper, certification, affiliation and status-history queries.

use crate::ids::{ShopperId, UserId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{ShopperRow, Status};
use crate::db::DbConnection;
use crate::db::schema::{
    affiliations, certifications, organizations, shopper_status_changes, shoppers,
};

/// A shopper's panel code (`IMS-…`).
/// The panel codes (`IMS-…`) of these shoppers, in one query.
pub fn codes_of(
    conn: &mut DbConnection,
    ids: &[ShopperId],
) -> QueryResult<std::collections::HashMap<ShopperId, String>> {
    Ok(shoppers::table
        .filter(shoppers::user_id.eq_any(ids))
        .select((shoppers::user_id, shoppers::code))
        .load::<(ShopperId, String)>(conn)?
        .into_iter()
        .collect())
}

/// The zone a shopper reads times in: where they live, or the panel's before they have
/// applied.
pub fn zone_of(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    locale: &crate::zones::Locale,
) -> QueryResult<chrono_tz::Tz> {
    let place: Option<(String, f64, f64)> = shoppers::table
        .find(shopper_id)
        .select((shoppers::state, shoppers::latitude, shoppers::longitude))
        .first(conn)
        .optional()?;
    Ok(place.map_or(locale.zone, |(state, lat, lon)| {
        locale.zone_of(&state, lat, lon)
    }))
}

pub fn find_shopper(
    conn: &mut DbConnection,
    user_id: ShopperId,
) -> QueryResult<Option<ShopperRow>> {
    shoppers::table
        .find(user_id)
        .select(ShopperRow::as_select())
        .first(conn)
        .optional()
}

pub fn code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        shoppers::table.filter(shoppers::code.eq(code)),
    ))
    .get_result(conn)
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = shoppers, treat_none_as_null = true)]
pub struct ShopperChanges<'a> {
    pub legal_name: &'a str,
    pub street: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub zip: &'a str,
    pub phone: Option<&'a str>,
    pub date_of_birth: Option<&'a str>,
    pub tax_id: Option<&'a str>,
    pub bank_account: Option<&'a str>,
    pub latitude: f64,
    pub longitude: f64,
    pub travel_radius_km: f64,
    pub languages: &'a str,
    pub vehicle: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = shoppers)]
pub struct NewShopper<'a> {
    pub user_id: ShopperId,
    pub code: &'a str,
    pub status: Status,
    pub agreement_version: &'a str,
    pub privacy_notice_version: &'a str,
    pub agreed_at: NaiveDateTime,
    pub status_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert_shopper(
    conn: &mut DbConnection,
    new: &NewShopper<'_>,
    values: &ShopperChanges<'_>,
) -> QueryResult<()> {
    diesel::insert_into(shoppers::table)
        .values((new, values))
        .execute(conn)
        .map(|_| ())
}

pub fn update_shopper(
    conn: &mut DbConnection,
    user_id: ShopperId,
    values: &ShopperChanges<'_>,
) -> QueryResult<()> {
    diesel::update(shoppers::table.find(user_id))
        .set(values)
        .execute(conn)
        .map(|_| ())
}

pub fn add_status_change(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    status: Status,
    reason: &str,
    changed_by: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(shopper_status_changes::table)
        .values((
            shopper_status_changes::shopper_id.eq(shopper_id),
            shopper_status_changes::status.eq(status),
            shopper_status_changes::reason.eq(reason),
            shopper_status_changes::changed_by.eq(changed_by),
            shopper_status_changes::changed_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// (status, reason, when), oldest first.
pub fn status_history(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    shopper_status_changes::table
        .filter(shopper_status_changes::shopper_id.eq(shopper_id))
        .order(shopper_status_changes::id.asc())
        .select((
            shopper_status_changes::status,
            shopper_status_changes::reason,
            shopper_status_changes::changed_at,
        ))
        .load(conn)
}

pub type CertificationTuple = (String, String, Option<String>, Option<NaiveDate>);

pub fn certifications_of(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
) -> QueryResult<Vec<CertificationTuple>> {
    certifications::table
        .filter(certifications::shopper_id.eq(shopper_id))
        .order(certifications::id.asc())
        .select((
            certifications::name,
            certifications::issuer,
            certifications::number,
            certifications::expires_on,
        ))
        .load(conn)
}

pub fn replace_certifications(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    list: &[CertificationTuple],
) -> QueryResult<()> {
    diesel::delete(certifications::table.filter(certifications::shopper_id.eq(shopper_id)))
        .execute(conn)?;
    // One row at a time: batch inserts do not compile through the multi-backend connection.
    for (name, issuer, number, expires_on) in list {
        diesel::insert_into(certifications::table)
            .values((
                certifications::shopper_id.eq(shopper_id),
                certifications::name.eq(name),
                certifications::issuer.eq(issuer),
                certifications::number.eq(number),
                certifications::expires_on.eq(expires_on),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (organization id, organization name, relation, ended on), oldest first.
pub type AffiliationTuple = (i64, String, String, Option<NaiveDate>);

pub fn affiliations_of(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
) -> QueryResult<Vec<AffiliationTuple>> {
    affiliations::table
        .inner_join(organizations::table)
        .filter(affiliations::shopper_id.eq(shopper_id))
        .order(affiliations::id.asc())
        .select((
            organizations::id,
            organizations::name,
            affiliations::relation,
            affiliations::ended_on,
        ))
        .load(conn)
}

pub fn replace_affiliations(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    list: &[(i64, &str, Option<NaiveDate>)],
) -> QueryResult<()> {
    diesel::delete(affiliations::table.filter(affiliations::shopper_id.eq(shopper_id)))
        .execute(conn)?;
    for (organization_id, relation, ended_on) in list {
        diesel::insert_into(affiliations::table)
            .values((
                affiliations::shopper_id.eq(shopper_id),
                affiliations::organization_id.eq(organization_id),
                affiliations::relation.eq(relation),
                affiliations::ended_on.eq(ended_on),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Narrows a staff search of shoppers (joined with their email) by name, email or code
/// (case-insensitive, part of it), and by status.
macro_rules! narrowed {
    ($query:expr, $text:expr, $status:expr) => {{
        use crate::db::schema::users;
        let mut query = $query;
        if let Some(status) = $status {
            query = query.filter(shoppers::status.eq(status.to_string()));
        }
        if let Some(text) = $text {
            let pattern = crate::db::contains_pattern(text);
            query = query.filter(
                crate::db::lower(shoppers::legal_name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(users::email.like(pattern.clone()).escape('\\'))
                    .or(crate::db::lower(shoppers::code).like(pattern).escape('\\')),
            );
        }
        query
    }};
}

/// The order of the staff's list of shoppers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShopperSort {
    /// Newest applications first.
    #[default]
    Newest,
    Name,
}

/// (shopper, email) for the staff's list, a page of it (`offset`, `limit`).
pub fn search(
    conn: &mut DbConnection,
    text: Option<&str>,
    status: Option<&str>,
    sort: ShopperSort,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<(ShopperRow, String)>> {
    use crate::db::schema::users;
    let query = shoppers::table
        .inner_join(users::table)
        .select((ShopperRow::as_select(), users::email))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    let query = match sort {
        ShopperSort::Newest => query.order((shoppers::created_at.desc(), shoppers::user_id.desc())),
        ShopperSort::Name => query.order((shoppers::legal_name.asc(), shoppers::user_id.asc())),
    };
    narrowed!(query, text, status).load(conn)
}

/// How many shoppers a staff search matches.
pub fn count_matching(
    conn: &mut DbConnection,
    text: Option<&str>,
    status: Option<&str>,
) -> QueryResult<i64> {
    use crate::db::schema::users;
    let query = shoppers::table
        .inner_join(users::table)
        .select(diesel::dsl::count_star())
        .into_boxed();
    narrowed!(query, text, status).get_result(conn)
}

pub fn set_status(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    status: Status,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(shoppers::table.find(shopper_id))
        .set((
            shoppers::status.eq(status),
            shoppers::status_changed_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub type RatingTuple = (i32, Option<String>, Option<String>, NaiveDate);

pub fn ratings_of(conn: &mut DbConnection, shopper_id: ShopperId) -> QueryResult<Vec<RatingTuple>> {
    use crate::db::schema::ratings;
    ratings::table
        .filter(ratings::shopper_id.eq(shopper_id))
        .order(ratings::id.asc())
        .select((
            ratings::score,
            ratings::citation,
            ratings::note,
            ratings::rated_on,
        ))
        .load(conn)
}

pub fn add_rating(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    rating: &RatingTuple,
    rated_by: UserId,
) -> QueryResult<()> {
    use crate::db::schema::ratings;
    let (score, citation, note, rated_on) = rating;
    diesel::insert_into(ratings::table)
        .values((
            ratings::shopper_id.eq(shopper_id),
            ratings::score.eq(score),
            ratings::citation.eq(citation),
            ratings::note.eq(note),
            ratings::rated_by.eq(rated_by),
            ratings::rated_on.eq(rated_on),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The average rating of each of these shoppers that has one.
pub fn average_ratings(
    conn: &mut DbConnection,
    whose: crate::db::Whose,
) -> QueryResult<Vec<(ShopperId, f64)>> {
    use crate::db::schema::ratings;
    let mut query = ratings::table
        .select((ratings::shopper_id, ratings::score))
        .into_boxed();
    match whose {
        crate::db::Whose::Everyone => {}
        crate::db::Whose::Only(ids) => query = query.filter(ratings::shopper_id.eq_any(ids)),
        crate::db::Whose::Between(first, last) => {
            query = query.filter(ratings::shopper_id.between(first, last))
        }
    }
    let rows: Vec<(ShopperId, i32)> = query.load(conn)?;
    let mut sums: std::collections::BTreeMap<ShopperId, (i64, i64)> = Default::default();
    for (id, score) in rows {
        let entry = sums.entry(id).or_default();
        entry.0 += i64::from(score);
        entry.1 += 1;
    }
    Ok(sums
        .into_iter()
        .map(|(id, (sum, n))| (id, sum as f64 / n as f64))
        .collect())
}
