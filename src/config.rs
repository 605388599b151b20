//! Settings from `INCOGNITO_*` variables, with embedded defaults.
//!
//! Settings are parsed once, into types that cannot hold an invalid value, and passed explicitly:
//! there is no global. A bad setting is a `SettingError` naming the variable and the problem.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A setting that could not be used: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub setting: &'static str,
    pub problem: String,
}

impl SettingError {
    pub fn new(setting: &'static str, problem: impl Into<String>) -> Self {
        Self {
            setting,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.problem)
    }
}

impl std::error::Error for SettingError {}

/// A string that must not appear in logs or `Debug` output (passwords inside URLs).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

/// Where the data lives: an SQLite file (default) or a PostgreSQL server.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    /// The full connection URL, which may carry a password.
    Postgres(Secret),
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(path) = value.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite://./data/incognito.db".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let url = Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
        match url.scheme() {
            "postgres" | "postgresql" => {
                if url.host_str().is_none_or(str::is_empty) && !value.contains("host=") {
                    return Err("a postgres:// URL needs a host".into());
                }
                Ok(Self::Postgres(Secret::new(value)))
            }
            other => Err(format!(
                "unknown scheme `{other}`: use postgres://… or sqlite://…"
            )),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgresql",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Postgres(secret) => write!(f, "Postgres({})", redact_url(secret.expose())),
        }
    }
}

/// How mail leaves: written as files into an outbox folder (default), or sent over SMTP.
#[derive(Clone, PartialEq, Eq)]
pub enum MailUrl {
    Folder(PathBuf),
    /// An `smtp://` or `smtps://` URL in lettre's form (`?tls=required` for STARTTLS).
    Smtp(Secret),
}

impl MailUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(path) = value.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a folder path".into());
            }
            return Ok(Self::Folder(PathBuf::from(path)));
        }
        let url = Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
        match url.scheme() {
            "smtp" | "smtps" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err("an smtp:// URL needs a host".into());
                }
                for (key, val) in url.query_pairs() {
                    if key == "tls" && !matches!(val.as_ref(), "required" | "opportunistic") {
                        return Err(format!(
                            "tls={val} is not known: use tls=required (STARTTLS) or smtps:// (TLS)"
                        ));
                    }
                }
                Ok(Self::Smtp(Secret::new(value)))
            }
            other => Err(format!(
                "unknown scheme `{other}`: use smtp://…, smtps://… or file://…"
            )),
        }
    }
}

impl fmt::Debug for MailUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Folder(path) => write!(f, "Folder({})", path.display()),
            Self::Smtp(secret) => write!(f, "Smtp({})", redact_url(secret.expose())),
        }
    }
}

/// Where uploaded objects go: a folder (the default), or a bucket of any S3-compatible store,
/// `s3://BUCKET?endpoint=URL&region=R&path_style=true`, with the credentials of
/// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    Folder(PathBuf),
    S3(S3Url),
}

/// An S3-compatible bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// `https://s3.example.com`, or a loopback server's `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub region: String,
    /// Path-style addressing (`endpoint/bucket/key`), which local S3 servers need.
    pub path_style: bool,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Url {
    // The secret key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Url")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .finish()
    }
}

impl StorageUrl {
    /// Reads the URL; an S3 one takes the credentials given (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`).
    pub fn parse(value: &str, credentials: Option<(&str, &str)>) -> Result<Self, String> {
        if let Some(path) = value.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a folder path".into());
            }
            return Ok(Self::Folder(PathBuf::from(path)));
        }
        let url = Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
        match url.scheme() {
            "s3" => {
                let bucket = url.host_str().unwrap_or("").to_string();
                let valid = (3..=63).contains(&bucket.len())
                    && bucket.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    });
                if !valid {
                    return Err(format!(
                        "`{bucket}` is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)"
                    ));
                }
                let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
                let endpoint = query
                    .get("endpoint")
                    .ok_or("s3:// needs ?endpoint=https://… (the store's address)")?;
                let endpoint_url = Url::parse(endpoint)
                    .map_err(|e| format!("the endpoint `{endpoint}` is not a URL ({e})"))?;
                if !matches!(endpoint_url.scheme(), "http" | "https") {
                    return Err(format!(
                        "the endpoint `{endpoint}` must be http:// or https://"
                    ));
                }
                let path_style = match query.get("path_style").map(String::as_str) {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => {
                        return Err(format!("path_style is true or false, not `{other}`"));
                    }
                };
                let (access_key, secret_key) = credentials.ok_or(
                    "s3:// needs the store's credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )?;
                Ok(Self::S3(S3Url {
                    bucket,
                    endpoint: endpoint.trim_end_matches('/').to_string(),
                    region: query
                        .get("region")
                        .cloned()
                        .unwrap_or_else(|| "us-east-1".into()),
                    path_style,
                    access_key: access_key.to_string(),
                    secret_key: secret_key.to_string(),
                }))
            }
            other => Err(format!("unknown scheme `{other}`: use file://… or s3://…")),
        }
    }
}

/// What a receipt, photo or recording may be; published at `GET /api/v1/media/limits` so that
/// pages check a file before sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MediaLimits {
    /// Largest photo file, in bytes (25 MB).
    pub photo_bytes: u64,
    /// Most pixels of a photo (50 megapixels), decided from its header.
    pub photo_pixels: u64,
    /// Largest recording file, in bytes (200 MB).
    pub recording_bytes: u64,
    /// Longest recording, in seconds (3 hours).
    pub recording_seconds: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            photo_bytes: 25_000_000,
            photo_pixels: 50_000_000,
            recording_bytes: 200_000_000,
            recording_seconds: 3 * 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting of the service. Build it with [`Settings::from_vars`] or [`Settings::defaults`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// Where `/metrics` is served on a listener of its own; None: on the public one.
    pub metrics_bind: Option<SocketAddr>,
    /// The address people use to reach the service; links in mail start with it.
    pub public_url: Url,
    pub database_url: DatabaseUrl,
    pub database_pool_size: u32,
    /// Threads answering HTTP, one a core by default: the job board is answered from memory
    /// on these threads (see README, "Job board under load").
    pub http_workers: usize,
    pub mail_url: MailUrl,
    pub mail_from: String,
    /// Extra root certificate (PEM) trusted for SMTP over TLS, for a server with a private CA.
    pub mail_ca_file: Option<PathBuf>,
    pub storage_url: StorageUrl,
    pub log_format: LogFormat,
    /// A `tracing` filter directive.
    pub log_filter: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    /// Failed sign-ins to one account from every client it does not know, within the window.
    pub login_max_unknown_failures_per_account: u32,
    pub login_failure_window: Duration,
    /// Sign-ups, password-reset requests and confirmation-link requests (each counted apart)
    /// from one client address in an hour.
    pub requests_per_address_per_hour: u32,
    /// Mails of one kind (confirmation link, reset link, notice) one account receives in a day.
    pub mails_per_recipient_per_day: u32,
    /// The largest fee, bonus or reimbursement cap a project or job may have.
    pub max_fee: crate::money::Money,
    /// What a receipt, photo or recording may be.
    pub media: MediaLimits,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy: bool,
    /// First retry delay of the mail sender; doubles up to `mail_retry_max`.
    pub mail_retry_base: Duration,
    pub mail_retry_max: Duration,
    /// How often the mail sender looks for due messages when nobody wakes it.
    pub mail_poll_interval: Duration,
    /// Applicants whose application meets all of these join the panel without a staff
    /// review; None: staff approve every applicant.
    pub auto_approve: Option<Vec<ApprovalRule>>,
    /// A Nominatim-compatible geocoder; None: addresses are placed at their ZIP code's centre.
    pub geocoder_url: Option<Url>,
    /// The unit of distances on the pages (miles by default); the API keeps kilometres.
    pub distance_unit: crate::units::DistanceUnit,
    /// The zone staff pages show times in; shoppers see their own, stores keep theirs.
    pub time_zone: chrono_tz::Tz,
    /// The weekday payout runs are made: a shopper's expected pay date falls on it.
    pub payout_weekday: chrono::Weekday,
    /// What the job board's estimated pay counts for the round trip to a store.
    pub travel: TravelCosts,
    /// How long personal data is kept where the law leaves it to us (the retention schedule).
    pub retention: RetentionDays,
    /// This business's id in the Data Rights Protocol's directory: agents' signed messages must
    /// name it as `business-id`.
    pub drp_business_id: String,
}

/// The retention schedule's settings, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays {
    /// A shopper with no sign-in, assignment or change for this long is deleted.
    pub inactive_shopper: u32,
    /// Photos and recordings are deleted this long after they were sent (reports stay).
    pub media: u32,
    /// Records of who read a person's data are deleted after this long.
    pub access_log: u32,
}

impl Default for RetentionDays {
    fn default() -> Self {
        Self {
            inactive_shopper: 1095,
            media: 730,
            access_log: 730,
        }
    }
}

/// The cost of driving to a store and back, for the job board's estimated pay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelCosts {
    /// Cents per mile driven.
    pub mile_cents: i64,
    /// Average speed, miles per hour.
    pub mph: f64,
}

impl Default for TravelCosts {
    fn default() -> Self {
        Self {
            mile_cents: 70,
            mph: 30.0,
        }
    }
}

/// A weekday as written in a setting: `mon` … `sun` or the full English name.
fn parse_weekday(v: &str) -> Option<chrono::Weekday> {
    const DAYS: [(&str, &str, chrono::Weekday); 7] = [
        ("mon", "monday", chrono::Weekday::Mon),
        ("tue", "tuesday", chrono::Weekday::Tue),
        ("wed", "wednesday", chrono::Weekday::Wed),
        ("thu", "thursday", chrono::Weekday::Thu),
        ("fri", "friday", chrono::Weekday::Fri),
        ("sat", "saturday", chrono::Weekday::Sat),
        ("sun", "sunday", chrono::Weekday::Sun),
    ];
    let v = v.trim().to_ascii_lowercase();
    DAYS.iter()
        .find(|(short, long, _)| v == *short || v == *long)
        .map(|(_, _, day)| *day)
}

/// What an application must hold to be approved without a staff review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRule {
    DateOfBirth,
    TaxId,
    BankAccount,
    Certification,
    Vehicle,
}

impl ApprovalRule {
    pub const ALL: [ApprovalRule; 5] = [
        ApprovalRule::DateOfBirth,
        ApprovalRule::TaxId,
        ApprovalRule::BankAccount,
        ApprovalRule::Certification,
        ApprovalRule::Vehicle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalRule::DateOfBirth => "date_of_birth",
            ApprovalRule::TaxId => "tax_id",
            ApprovalRule::BankAccount => "bank_account",
            ApprovalRule::Certification => "certification",
            ApprovalRule::Vehicle => "vehicle",
        }
    }

    /// `off`, `complete` (any complete application), or rule names separated by commas.
    pub fn parse_setting(value: &str) -> Result<Option<Vec<ApprovalRule>>, String> {
        match value.trim() {
            "off" | "" => Ok(None),
            "complete" => Ok(Some(Vec::new())),
            list => list
                .split(',')
                .map(|name| {
                    let name = name.trim();
                    ApprovalRule::ALL
                        .into_iter()
                        .find(|r| r.as_str() == name)
                        .ok_or_else(|| {
                            format!(
                                "`{name}` is not a rule: use off, complete, or a list of date_of_birth, tax_id, bank_account, certification, vehicle"
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }
}

/// The names of every variable, for the README and the "unknown variable" warning.
pub const SETTING_NAMES: &[&str] = &[
    "INCOGNITO_DATA_DIR",
    "INCOGNITO_BIND",
    "INCOGNITO_METRICS_BIND",
    "INCOGNITO_PUBLIC_URL",
    "INCOGNITO_DATABASE_URL",
    "INCOGNITO_DATABASE_POOL_SIZE",
    "INCOGNITO_HTTP_WORKERS",
    "INCOGNITO_MAIL_URL",
    "INCOGNITO_MAIL_FROM",
    "INCOGNITO_MAIL_CA_FILE",
    "INCOGNITO_STORAGE_URL",
    "INCOGNITO_LOG_FORMAT",
    "INCOGNITO_LOG",
    "INCOGNITO_ACCESS_TOKEN_TTL_SECS",
    "INCOGNITO_REFRESH_TOKEN_TTL_SECS",
    "INCOGNITO_LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "INCOGNITO_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "INCOGNITO_LOGIN_MAX_UNKNOWN_FAILURES_PER_ACCOUNT",
    "INCOGNITO_LOGIN_FAILURE_WINDOW_SECS",
    "INCOGNITO_REQUESTS_PER_ADDRESS_PER_HOUR",
    "INCOGNITO_MAILS_PER_RECIPIENT_PER_DAY",
    "INCOGNITO_MAX_FEE_DOLLARS",
    "INCOGNITO_MEDIA_MAX_PHOTO_MB",
    "INCOGNITO_MEDIA_MAX_MEGAPIXELS",
    "INCOGNITO_MEDIA_MAX_RECORDING_MB",
    "INCOGNITO_MEDIA_MAX_RECORDING_MINUTES",
    "INCOGNITO_TRUST_PROXY",
    "INCOGNITO_MAIL_RETRY_BASE_MS",
    "INCOGNITO_MAIL_RETRY_MAX_SECS",
    "INCOGNITO_AUTO_APPROVE",
    "INCOGNITO_GEOCODER_URL",
    "INCOGNITO_DISTANCE_UNIT",
    "INCOGNITO_PAYOUT_WEEKDAY",
    "INCOGNITO_PAY_MILE_CENTS",
    "INCOGNITO_PAY_TRAVEL_MPH",
    "INCOGNITO_TIME_ZONE",
    "INCOGNITO_RETAIN_INACTIVE_SHOPPER_DAYS",
    "INCOGNITO_RETAIN_MEDIA_DAYS",
    "INCOGNITO_RETAIN_ACCESS_LOG_DAYS",
    "INCOGNITO_DRP_BUSINESS_ID",
];

impl Settings {
    /// Who runs the service, as the mail's sender name says (`Incognito <no-reply@…>`): the
    /// controller named in the record of processing.
    pub fn controller_name(&self) -> String {
        self.mail_from
            .split('<')
            .next()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Incognito")
            .to_string()
    }

    /// The unit and zone people read distances and times in.
    pub fn locale(&self) -> crate::zones::Locale {
        crate::zones::Locale {
            unit: self.distance_unit,
            zone: self.time_zone,
        }
    }

    /// The embedded defaults, rooted at `data_dir`.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        let bind: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
        Self {
            public_url: public_url_for(bind),
            database_url: DatabaseUrl::Sqlite(data_dir.join("incognito.db")),
            database_pool_size: 8,
            http_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            mail_url: MailUrl::Folder(data_dir.join("outbox")),
            mail_from: "Incognito <no-reply@incognito.localhost>".into(),
            mail_ca_file: None,
            storage_url: StorageUrl::Folder(data_dir.join("objects")),
            log_format: LogFormat::Text,
            log_filter: "info,actix_server=warn".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_max_unknown_failures_per_account: 20,
            requests_per_address_per_hour: 10,
            mails_per_recipient_per_day: 10,
            max_fee: crate::money::Money::from_cents(1_000_000),
            media: MediaLimits::default(),
            login_failure_window: Duration::from_secs(15 * 60),
            trust_proxy: false,
            mail_retry_base: Duration::from_secs(5),
            mail_retry_max: Duration::from_secs(3600),
            mail_poll_interval: Duration::from_secs(2),
            auto_approve: None,
            geocoder_url: None,
            distance_unit: crate::units::DistanceUnit::Mi,
            time_zone: crate::zones::DEFAULT,
            payout_weekday: chrono::Weekday::Fri,
            travel: TravelCosts::default(),
            retention: RetentionDays::default(),
            drp_business_id: "INCOGNITO".into(),
            metrics_bind: None,
            bind,
            data_dir,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_vars(std::env::vars())
    }

    /// Reads settings from `(name, value)` pairs; names that do not start with `INCOGNITO_` are
    /// ignored, but for the S3 credentials `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingError> {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| {
                k.starts_with("INCOGNITO_")
                    || k == "AWS_ACCESS_KEY_ID"
                    || k == "AWS_SECRET_ACCESS_KEY"
            })
            .collect();
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("INCOGNITO_DATA_DIR").unwrap_or("./data"));
        let mut s = Self::defaults(&data_dir);

        if let Some(v) = get("INCOGNITO_BIND") {
            s.bind = v.parse().map_err(|_| {
                SettingError::new(
                    "INCOGNITO_BIND",
                    format!("`{v}` is not an address and port such as 127.0.0.1:8080"),
                )
            })?;
        }
        if let Some(v) = get("INCOGNITO_METRICS_BIND") {
            s.metrics_bind = Some(v.parse().map_err(|_| {
                SettingError::new(
                    "INCOGNITO_METRICS_BIND",
                    format!("`{v}` is not an address and port such as 127.0.0.1:9090"),
                )
            })?);
        }
        s.public_url = match get("INCOGNITO_PUBLIC_URL") {
            Some(v) => parse_public_url(v)?,
            None => public_url_for(s.bind),
        };
        if let Some(v) = get("INCOGNITO_DATABASE_URL") {
            s.database_url = DatabaseUrl::parse(v)
                .map_err(|p| SettingError::new("INCOGNITO_DATABASE_URL", p))?;
        }
        if let Some(v) = get("INCOGNITO_DATABASE_POOL_SIZE") {
            s.database_pool_size = parse_number("INCOGNITO_DATABASE_POOL_SIZE", v, 1, 512)?;
        }
        if let Some(v) = get("INCOGNITO_HTTP_WORKERS") {
            s.http_workers = parse_number("INCOGNITO_HTTP_WORKERS", v, 1, 256)?;
        }
        if let Some(v) = get("INCOGNITO_MAIL_URL") {
            s.mail_url =
                MailUrl::parse(v).map_err(|p| SettingError::new("INCOGNITO_MAIL_URL", p))?;
        }
        if let Some(v) = get("INCOGNITO_MAIL_FROM") {
            v.parse::<lettre::message::Mailbox>().map_err(|e| {
                SettingError::new(
                    "INCOGNITO_MAIL_FROM",
                    format!("`{v}` is not a mail address ({e})"),
                )
            })?;
            s.mail_from = v.to_string();
        }
        if let Some(v) = get("INCOGNITO_DRP_BUSINESS_ID") {
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(SettingError::new(
                    "INCOGNITO_DRP_BUSINESS_ID",
                    format!(
                        "`{v}` is not a directory id: capital letters, digits and _ (up to 64)"
                    ),
                ));
            }
            s.drp_business_id = v.to_string();
        }
        if let Some(v) = get("INCOGNITO_MAIL_CA_FILE") {
            s.mail_ca_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("INCOGNITO_STORAGE_URL") {
            let credentials = get("AWS_ACCESS_KEY_ID").zip(get("AWS_SECRET_ACCESS_KEY"));
            s.storage_url = StorageUrl::parse(v, credentials)
                .map_err(|p| SettingError::new("INCOGNITO_STORAGE_URL", p))?;
        }
        if let Some(v) = get("INCOGNITO_LOG_FORMAT") {
            s.log_format = match v {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(SettingError::new(
                        "INCOGNITO_LOG_FORMAT",
                        format!("`{other}` is not known: use text or json"),
                    ));
                }
            };
        }
        if let Some(v) = get("INCOGNITO_GEOCODER_URL") {
            let url = Url::parse(v).map_err(|e| {
                SettingError::new("INCOGNITO_GEOCODER_URL", format!("not a URL: {e}"))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(SettingError::new(
                    "INCOGNITO_GEOCODER_URL",
                    "use an http:// or https:// URL",
                ));
            }
            s.geocoder_url = Some(url);
        }
        if let Some(v) = get("INCOGNITO_DISTANCE_UNIT") {
            s.distance_unit = crate::units::DistanceUnit::parse(v).ok_or_else(|| {
                SettingError::new(
                    "INCOGNITO_DISTANCE_UNIT",
                    format!("`{v}` is not a unit: use mi (miles) or km"),
                )
            })?;
        }
        if let Some(v) = get("INCOGNITO_TIME_ZONE") {
            s.time_zone = crate::zones::parse(v).ok_or_else(|| {
                SettingError::new(
                    "INCOGNITO_TIME_ZONE",
                    format!("`{v}` is not a time zone: use a name such as America/Chicago"),
                )
            })?;
        }
        if let Some(v) = get("INCOGNITO_PAYOUT_WEEKDAY") {
            s.payout_weekday = parse_weekday(v).ok_or_else(|| {
                SettingError::new(
                    "INCOGNITO_PAYOUT_WEEKDAY",
                    format!("`{v}` is not a weekday: use mon, tue, wed, thu, fri, sat or sun"),
                )
            })?;
        }
        if let Some(v) = get("INCOGNITO_PAY_MILE_CENTS") {
            s.travel.mile_cents = parse_number("INCOGNITO_PAY_MILE_CENTS", v, 0, 1000)?;
        }
        if let Some(v) = get("INCOGNITO_PAY_TRAVEL_MPH") {
            let mph: u32 = parse_number("INCOGNITO_PAY_TRAVEL_MPH", v, 5, 80)?;
            s.travel.mph = f64::from(mph);
        }
        for (name, slot) in [
            (
                "INCOGNITO_RETAIN_INACTIVE_SHOPPER_DAYS",
                &mut s.retention.inactive_shopper,
            ),
            ("INCOGNITO_RETAIN_MEDIA_DAYS", &mut s.retention.media),
            (
                "INCOGNITO_RETAIN_ACCESS_LOG_DAYS",
                &mut s.retention.access_log,
            ),
        ] {
            if let Some(v) = get(name) {
                *slot = parse_number(name, v, 30, 36_500)?;
            }
        }
        if let Some(v) = get("INCOGNITO_AUTO_APPROVE") {
            s.auto_approve = ApprovalRule::parse_setting(v)
                .map_err(|p| SettingError::new("INCOGNITO_AUTO_APPROVE", p))?;
        }
        if let Some(v) = get("INCOGNITO_LOG") {
            tracing_subscriber::EnvFilter::try_new(v).map_err(|e| {
                SettingError::new("INCOGNITO_LOG", format!("`{v}` is not a log filter ({e})"))
            })?;
            s.log_filter = v.to_string();
        }
        if let Some(v) = get("INCOGNITO_ACCESS_TOKEN_TTL_SECS") {
            s.access_token_ttl = Duration::from_secs(parse_number(
                "INCOGNITO_ACCESS_TOKEN_TTL_SECS",
                v,
                30,
                24 * 3600,
            )?);
        }
        if let Some(v) = get("INCOGNITO_REFRESH_TOKEN_TTL_SECS") {
            s.refresh_token_ttl = Duration::from_secs(parse_number(
                "INCOGNITO_REFRESH_TOKEN_TTL_SECS",
                v,
                300,
                365 * 24 * 3600,
            )?);
        }
        if let Some(v) = get("INCOGNITO_LOGIN_MAX_FAILURES_PER_ACCOUNT") {
            s.login_max_failures_per_account =
                parse_number("INCOGNITO_LOGIN_MAX_FAILURES_PER_ACCOUNT", v, 1, 1000)?;
        }
        if let Some(v) = get("INCOGNITO_LOGIN_MAX_FAILURES_PER_ADDRESS") {
            s.login_max_failures_per_address =
                parse_number("INCOGNITO_LOGIN_MAX_FAILURES_PER_ADDRESS", v, 1, 100_000)?;
        }
        if let Some(v) = get("INCOGNITO_LOGIN_MAX_UNKNOWN_FAILURES_PER_ACCOUNT") {
            s.login_max_unknown_failures_per_account = parse_number(
                "INCOGNITO_LOGIN_MAX_UNKNOWN_FAILURES_PER_ACCOUNT",
                v,
                1,
                100_000,
            )?;
        }
        if let Some(v) = get("INCOGNITO_REQUESTS_PER_ADDRESS_PER_HOUR") {
            s.requests_per_address_per_hour =
                parse_number("INCOGNITO_REQUESTS_PER_ADDRESS_PER_HOUR", v, 1, 100_000)?;
        }
        if let Some(v) = get("INCOGNITO_MAILS_PER_RECIPIENT_PER_DAY") {
            s.mails_per_recipient_per_day =
                parse_number("INCOGNITO_MAILS_PER_RECIPIENT_PER_DAY", v, 1, 1000)?;
        }
        if let Some(v) = get("INCOGNITO_MAX_FEE_DOLLARS") {
            let dollars: i64 = parse_number("INCOGNITO_MAX_FEE_DOLLARS", v, 1, 1_000_000)?;
            s.max_fee = crate::money::Money::from_cents(dollars * 100);
        }
        if let Some(v) = get("INCOGNITO_MEDIA_MAX_PHOTO_MB") {
            s.media.photo_bytes =
                parse_number::<u64>("INCOGNITO_MEDIA_MAX_PHOTO_MB", v, 1, 1000)? * 1_000_000;
        }
        if let Some(v) = get("INCOGNITO_MEDIA_MAX_MEGAPIXELS") {
            s.media.photo_pixels =
                parse_number::<u64>("INCOGNITO_MEDIA_MAX_MEGAPIXELS", v, 1, 500)? * 1_000_000;
        }
        if let Some(v) = get("INCOGNITO_MEDIA_MAX_RECORDING_MB") {
            s.media.recording_bytes =
                parse_number::<u64>("INCOGNITO_MEDIA_MAX_RECORDING_MB", v, 1, 10_000)? * 1_000_000;
        }
        if let Some(v) = get("INCOGNITO_MEDIA_MAX_RECORDING_MINUTES") {
            s.media.recording_seconds =
                parse_number::<u64>("INCOGNITO_MEDIA_MAX_RECORDING_MINUTES", v, 1, 24 * 60)? * 60;
        }
        if let Some(v) = get("INCOGNITO_LOGIN_FAILURE_WINDOW_SECS") {
            s.login_failure_window = Duration::from_secs(parse_number(
                "INCOGNITO_LOGIN_FAILURE_WINDOW_SECS",
                v,
                1,
                7 * 24 * 3600,
            )?);
        }
        if let Some(v) = get("INCOGNITO_TRUST_PROXY") {
            s.trust_proxy = match v {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(SettingError::new(
                        "INCOGNITO_TRUST_PROXY",
                        format!("`{other}` is not true or false"),
                    ));
                }
            };
        }
        if let Some(v) = get("INCOGNITO_MAIL_RETRY_BASE_MS") {
            s.mail_retry_base = Duration::from_millis(parse_number(
                "INCOGNITO_MAIL_RETRY_BASE_MS",
                v,
                10,
                3_600_000,
            )?);
        }
        if let Some(v) = get("INCOGNITO_MAIL_RETRY_MAX_SECS") {
            s.mail_retry_max = Duration::from_secs(parse_number(
                "INCOGNITO_MAIL_RETRY_MAX_SECS",
                v,
                1,
                7 * 24 * 3600,
            )?);
        }
        Ok(s)
    }

    /// `INCOGNITO_*` variables that are not settings (likely typos), test variables aside.
    pub fn unknown_variables(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
        let mut unknown: Vec<String> = vars
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("INCOGNITO_") && !k.starts_with("INCOGNITO_TEST_"))
            .filter(|k| !SETTING_NAMES.contains(&k.as_str()))
            .collect();
        unknown.sort();
        unknown
    }

    /// Signing and encryption keys live here, readable by the service's user only.
    pub fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    /// Cookies get `Secure` when people reach the service over https.
    pub fn cookies_secure(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The address people use, without its trailing `/`: links are this and a path.
    pub fn public_base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }

    /// The `iss` and `aud` claims of every token this deployment issues.
    pub fn token_issuer(&self) -> String {
        self.public_base()
    }
}

#[allow(clippy::expect_used)] // a SocketAddr always formats as a valid URL authority
fn public_url_for(bind: SocketAddr) -> Url {
    Url::parse(&format!("http://{bind}/")).expect("socket address forms a URL")
}

fn parse_public_url(v: &str) -> Result<Url, SettingError> {
    let mut url = Url::parse(v).map_err(|e| {
        SettingError::new(
            "INCOGNITO_PUBLIC_URL",
            format!("`{v}` is not a valid URL ({e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingError::new(
            "INCOGNITO_PUBLIC_URL",
            format!("`{v}` must be an http:// or https:// address"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(SettingError::new(
            "INCOGNITO_PUBLIC_URL",
            format!("`{v}` must not have a query or fragment"),
        ));
    }
    // Links are joined onto it, so a path prefix must end with a slash.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn parse_number<T>(setting: &'static str, v: &str, min: T, max: T) -> Result<T, SettingError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let n: T = v
        .parse()
        .map_err(|_| SettingError::new(setting, format!("`{v}` is not a whole number")))?;
    if n < min || n > max {
        return Err(SettingError::new(
            setting,
            format!("{n} is outside {min}..={max}"),
        ));
    }
    Ok(n)
}

/// `postgres://user:pw@host/db` → `postgres://user:••••@host/db`.
fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("••••"));
            }
            // libpq also takes `?password=…`.
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.contains("password") || k.contains("secret");
                    (
                        k.into_owned(),
                        if secret {
                            "••••".into()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            if !pairs.is_empty() {
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
            url.to_string()
        }
        Err(_) => "(unparsable)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_live_in_the_data_directory() {
        let s = Settings::from_vars(vars(&[("INCOGNITO_DATA_DIR", "/tmp/x")])).unwrap();
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite("/tmp/x/incognito.db".into())
        );
        assert_eq!(s.mail_url, MailUrl::Folder("/tmp/x/outbox".into()));
        assert_eq!(s.storage_url, StorageUrl::Folder("/tmp/x/objects".into()));
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn the_readme_lists_every_setting_and_no_other() {
        let readme = include_str!("../README.md");
        let start = readme.find("## Settings").unwrap();
        let end = start
            + readme[start..]
                .find("\n## ")
                .map_or(readme.len() - start, |i| i + 1);
        let table: Vec<&str> = readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| `INCOGNITO_"))
            .map(|l| l.split('`').nth(1).unwrap())
            .collect();
        let mut documented = table.clone();
        documented.sort_unstable();
        let mut known = SETTING_NAMES.to_vec();
        known.sort_unstable();
        assert_eq!(documented, known);
    }

    #[test]
    fn misspelt_variables_are_reported() {
        let unknown = Settings::unknown_variables(vars(&[
            ("INCOGNITO_DATABSE_URL", "x"),
            ("INCOGNITO_BIND", "127.0.0.1:1"),
            ("INCOGNITO_TEST_POSTGRES_URL", "x"),
            ("HOME", "/root"),
        ]));
        assert_eq!(unknown, ["INCOGNITO_DATABSE_URL"]);
    }

    #[test]
    fn a_public_url_prefix_gets_its_trailing_slash() {
        let s = Settings::from_vars(vars(&[(
            "INCOGNITO_PUBLIC_URL",
            "https://panel.example/app",
        )]))
        .unwrap();
        assert_eq!(s.public_url.as_str(), "https://panel.example/app/");
        assert!(s.cookies_secure());
        assert_eq!(s.token_issuer(), "https://panel.example/app");
    }

    #[test]
    fn debug_never_prints_passwords() {
        let s = Settings::from_vars(vars(&[
            (
                "INCOGNITO_DATABASE_URL",
                "postgres://app:hunter2hunter2@db.example/incognito?password=otherpass9",
            ),
            (
                "INCOGNITO_MAIL_URL",
                "smtp://mailer:s3cretpass@mail.example:587?tls=required",
            ),
        ]))
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2hunter2"), "{printed}");
        assert!(!printed.contains("s3cretpass"), "{printed}");
        assert!(!printed.contains("otherpass9"), "{printed}");
        assert!(printed.contains("db.example"), "{printed}");
    }

    #[test]
    fn an_s3_bucket_is_read_with_its_credentials() {
        let s = Settings::from_vars(vars(&[
            (
                "INCOGNITO_STORAGE_URL",
                "s3://media.example?endpoint=http://127.0.0.1:9000/&path_style=true",
            ),
            ("AWS_ACCESS_KEY_ID", "key"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-value"),
        ]))
        .unwrap();
        let StorageUrl::S3(url) = &s.storage_url else {
            panic!("{:?}", s.storage_url)
        };
        assert_eq!(
            (
                url.bucket.as_str(),
                url.endpoint.as_str(),
                url.region.as_str()
            ),
            ("media.example", "http://127.0.0.1:9000", "us-east-1")
        );
        assert!(url.path_style);
        assert!(
            !format!("{url:?}").contains("s3cr3t-value"),
            "the secret is never printed"
        );
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases = [
            ("INCOGNITO_DATABASE_URL", "mysql://x/y"),
            ("INCOGNITO_DATABASE_URL", "::not a url"),
            ("INCOGNITO_MAIL_URL", "ftp://mail"),
            ("INCOGNITO_MAIL_URL", "smtp://mail?tls=sometimes"),
            ("INCOGNITO_BIND", "localhost"),
            ("INCOGNITO_METRICS_BIND", "9090"),
            ("INCOGNITO_PUBLIC_URL", "ftp://x"),
            ("INCOGNITO_LOG_FORMAT", "xml"),
            ("INCOGNITO_DATABASE_POOL_SIZE", "0"),
            ("INCOGNITO_HTTP_WORKERS", "0"),
            ("INCOGNITO_HTTP_WORKERS", "many"),
            ("INCOGNITO_STORAGE_URL", "gopher://x"),
            (
                "INCOGNITO_STORAGE_URL",
                "s3://media?endpoint=http://127.0.0.1:9000",
            ),
            (
                "INCOGNITO_STORAGE_URL",
                "s3://Bad_Bucket?endpoint=http://127.0.0.1:9000",
            ),
            ("INCOGNITO_TRUST_PROXY", "maybe"),
            ("INCOGNITO_LOG", "info,=[["),
            ("INCOGNITO_AUTO_APPROVE", "tax_id,shoe_size"),
            ("INCOGNITO_GEOCODER_URL", "ftp://geo"),
            ("INCOGNITO_DISTANCE_UNIT", "miles"),
            ("INCOGNITO_TIME_ZONE", "Central"),
            ("INCOGNITO_PAYOUT_WEEKDAY", "payday"),
            ("INCOGNITO_PAY_MILE_CENTS", "0.7"),
            ("INCOGNITO_PAY_TRAVEL_MPH", "200"),
            ("INCOGNITO_RETAIN_MEDIA_DAYS", "7"),
            ("INCOGNITO_LOGIN_MAX_UNKNOWN_FAILURES_PER_ACCOUNT", "0"),
            ("INCOGNITO_REQUESTS_PER_ADDRESS_PER_HOUR", "lots"),
            ("INCOGNITO_MAILS_PER_RECIPIENT_PER_DAY", "0"),
            ("INCOGNITO_MAX_FEE_DOLLARS", "0"),
            ("INCOGNITO_MEDIA_MAX_PHOTO_MB", "0"),
            ("INCOGNITO_MEDIA_MAX_MEGAPIXELS", "huge"),
            ("INCOGNITO_MAX_FEE_DOLLARS", "12.50"),
        ];
        for (name, value) in cases {
            let err = Settings::from_vars(vars(&[(name, value)])).unwrap_err();
            assert_eq!(err.setting, name, "{value}");
        }
    }
}
