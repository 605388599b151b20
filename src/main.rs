//! The `incognito` command line: serve, migrate, create-admin.
//!
//! A bad setting ends the process with exit code 2 and one line naming the setting.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use incognito::app::Application;
use incognito::auth::{self, Email, Password, Role};
use incognito::config::Settings;
use incognito::keys::Keys;
use incognito::matching;
use incognito::startup;
use std::path::PathBuf;

/// mimalloc returns freed memory to the system and fragments less than the system allocator
/// after a large load (a million parsed shoppers leave far less resident memory behind).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "incognito",
    version,
    about = "Privacy-first platform for a mystery-shopper panel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web service (settings from INCOGNITO_* variables).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Match shoppers to jobs from JSON Lines files (see README, "Matching engine").
    Match {
        #[command(subcommand)]
        command: MatchCommand,
    },
    /// Write a synthetic panel (shoppers.jsonl, jobs.jsonl), deterministic for a seed.
    DemoData {
        #[arg(long)]
        shoppers: usize,
        #[arg(long)]
        jobs: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Data keys: `rotate` adds a new one and seals every sensitive value again under it
    /// (older keys stay, so values not yet resealed remain readable).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Fill an empty database with a small demo panel (clients, stores, jobs, 500 shoppers,
    /// assignments in every state) and print a sign-in for each role.
    Demo {
        /// The same seed gives the same panel (the password is new every time).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Remove stored files no row names (left by a crash between a file's objects and its
    /// row), uploads unfinished for a day, and scratch files; the server does this every hour.
    Sweep {
        /// Only objects and scratch files older than this (an upload may be committing).
        #[arg(long, default_value_t = 60)]
        older_than_minutes: u32,
    },
    /// Apply the retention schedule: delete or de-identify what has been kept as long as its
    /// category allows, and print the counts per category as JSON; the server does this daily.
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["dry_run", "apply"])))]
    Retention {
        /// Count what has expired, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete or de-identify what has expired.
        #[arg(long)]
        apply: bool,
        /// With --dry-run: count what will have expired on this day (YYYY-MM-DD).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Create an administrator account (its address counts as confirmed).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// The password; read from standard input when left out.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a data key and seal tax IDs, bank accounts and dates of birth again under it.
    Rotate,
}

#[derive(Subcommand)]
enum MatchCommand {
    /// The k nearest eligible shoppers of every job.
    Candidates {
        #[arg(long)]
        shoppers: PathBuf,
        #[arg(long)]
        jobs: PathBuf,
        #[arg(long, default_value_t = 50)]
        k: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// The assignment that fills the most jobs with the least total distance.
    Batch {
        #[arg(long)]
        shoppers: PathBuf,
        #[arg(long)]
        jobs: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The engine's commands work on files only: no settings, no data directory.
    let summary = match &cli.command {
        Command::Match { command: MatchCommand::Candidates { shoppers, jobs, k, out } } => {
            Some(matching::cli::candidates(shoppers, jobs, *k, out))
        }
        Command::Match { command: MatchCommand::Batch { shoppers, jobs, out } } => {
            Some(matching::cli::batch(shoppers, jobs, out))
        }
        Command::DemoData { shoppers, jobs, seed, out } => Some(
            matching::demo::write(*shoppers, *jobs, *seed, out)
                .map(|locations| serde_json::json!({"shoppers": shoppers, "jobs": jobs, "locations": locations, "seed": seed}))
                .map_err(|e| matching::cli::CliError::Output(format!("{}: {e}", out.display()))),
        ),
        _ => None,
    };
    if let Some(summary) = summary {
        return match summary {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    incognito::telemetry::init(settings.log_format, &settings.log_filter);
    for name in Settings::unknown_variables(std::env::vars()) {
        tracing::warn!(variable = %name, "not a setting of Incognito (misspelt?); ignored");
    }
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::CreateAdmin { email, password } => create_admin(&settings, &email, password),
        Command::Demo { seed } => demo(&settings, seed),
        Command::Sweep { older_than_minutes } => sweep(&settings, older_than_minutes),
        Command::Retention { apply, as_of, .. } => retention(&settings, apply, as_of),
        Command::Keys {
            command: KeysCommand::Rotate,
        } => rotate_keys(&settings),
        Command::Match { .. } | Command::DemoData { .. } => ExitCode::SUCCESS,
    }
}

/// One line on stderr, exit code 2.
fn fail(problem: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("incognito: {problem}");
    ExitCode::from(2)
}

fn serve(settings: Settings) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async move {
        let application = match Application::build(settings).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        let url = application.state().settings.public_url.clone();
        tracing::info!(port = application.port(), %url, "Incognito is listening");
        match application.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("the server stopped: {e}")),
        }
    })
}

fn migrate(settings: &Settings) -> ExitCode {
    if let Err(e) = startup::prepare_data_dir(settings) {
        return fail(&e);
    }
    match startup::open_database(settings) {
        Ok(_) => {
            println!(
                "migrations are up to date ({})",
                settings.database_url.backend_name()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn rotate_keys(settings: &Settings) -> ExitCode {
    if let Err(e) = startup::prepare_data_dir(settings) {
        return fail(&e);
    }
    // Open the database first: a bad URL must not leave a new key behind for nothing.
    let pool = match startup::open_database(settings) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let keys_dir = settings.keys_dir();
    let loaded = Keys::load_or_create(&keys_dir)
        .and_then(|_| Keys::add_data_key(&keys_dir))
        .and_then(|id| Keys::load_or_create(&keys_dir).map(|keys| (id, keys)));
    let (id, keys) = match loaded {
        Ok(ok) => ok,
        Err(e) => return fail(&format!("INCOGNITO_DATA_DIR: {e}")),
    };
    let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
        incognito::panel::service::reseal_all(&mut conn, &keys).map_err(|e| match e.source {
            Some(cause) => format!("{}: {cause:#}", e.code),
            None => e.detail,
        })
    });
    match result {
        Ok(count) => {
            println!("{}", serde_json::json!({"data_key": id, "resealed": count}));
            ExitCode::SUCCESS
        }
        Err(problem) => fail(&format!(
            "data key {id} was added, but resealing stopped: {problem}; run the command again to finish"
        )),
    }
}

fn create_admin(settings: &Settings, email: &str, password: Option<String>) -> ExitCode {
    let password = match password {
        Some(p) => p,
        // At a terminal: asked for, not echoed. Otherwise: the first line of standard input.
        None if std::io::stdin().is_terminal() => {
            match rpassword::prompt_password("Password for the new admin: ") {
                Ok(p) => p,
                Err(e) => return fail(&format!("could not read the password: {e}")),
            }
        }
        None => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err() {
                return fail(&"could not read the password from standard input");
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let (email, password): (Email, Password) =
        match auth::service::parse_credentials(email, &password, "password") {
            Ok(ok) => ok,
            Err(e) => {
                let problems: Vec<String> = e
                    .fields
                    .iter()
                    .map(|f| format!("--{} {}", f.field, f.message))
                    .collect();
                return fail(&problems.join("; "));
            }
        };
    let (pool, auth) = match open_for_command(settings) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let hash = match auth::password::hash(&password) {
        Ok(h) => h,
        Err(e) => return fail(&e),
    };
    let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
        auth::service::create_account(&mut conn, &auth, &email, &hash, Role::Admin, None).map_err(
            |e| match e.source {
                Some(cause) => format!("{}: {cause:#}", e.code),
                None => e.detail,
            },
        )
    });
    match result {
        Ok(user) => {
            println!("admin account {} created (id {})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(problem) => fail(&problem),
    }
}

fn demo(settings: &Settings, seed: u64) -> ExitCode {
    let (pool, auth) = match open_for_command(settings) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let clock = auth.clock.clone();
    // One password for every demo account, new each time, printed once.
    let password = format!("demo-{}", incognito::keys::random_token(9));
    let hash = match auth::password::hash(&Password::new(&password)) {
        Ok(h) => h,
        Err(e) => return fail(&e),
    };
    let result = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
        incognito::demo::fill(&mut conn, &auth, &hash, seed, clock.naive()).map_err(|e| {
            match e.source {
                Some(cause) => format!("{}: {cause:#}", e.code),
                None => e.detail,
            }
        })
    });
    match result {
        Ok(panel) => {
            println!(
                "Demo panel ready: {} clients, {} stores, {} jobs, {} shoppers.",
                panel.clients, panel.stores, panel.jobs, panel.shoppers
            );
            let states: Vec<String> = panel
                .assignments
                .iter()
                .map(|(state, n)| format!("{n} {state}"))
                .collect();
            println!("Assignments: {}.", states.join(", "));
            println!();
            println!(
                "Sign in at {}signin with password {password}",
                settings.public_url
            );
            for (role, email) in &panel.sign_ins {
                println!("  {:<18} {email}", role.label());
            }
            ExitCode::SUCCESS
        }
        Err(problem) => fail(&problem),
    }
}

/// What a command that writes accounts needs: the data directory, the keys, the migrated
/// database and the accounts service on the system clock; a failure is printed.
fn sweep(settings: &Settings, older_than_minutes: u32) -> ExitCode {
    let (pool, auth) = match open_for_command(settings) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(async {
        let storage = incognito::storage::Storage::connect(&settings.storage_url)
            .await
            .map_err(|e| format!("INCOGNITO_STORAGE_URL: {e}"))?;
        incognito::media::sweep::sweep(
            &pool,
            &storage,
            &settings.data_dir,
            auth.clock.naive(),
            chrono::Duration::minutes(i64::from(older_than_minutes)),
        )
        .await
        .map_err(|e| e.to_string())
    });
    match result {
        Ok(swept) => {
            println!(
                "Swept {} orphaned objects, {} unfinished uploads and {} scratch files.",
                swept.objects, swept.uploads, swept.scratch
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn retention(settings: &Settings, apply: bool, as_of: Option<chrono::NaiveDate>) -> ExitCode {
    if apply && as_of.is_some() {
        return fail(&"--as-of goes with --dry-run only: nothing is deleted ahead of its time");
    }
    let (pool, auth) = match open_for_command(settings) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let now = match as_of {
        Some(day) => day.and_time(chrono::NaiveTime::MIN),
        None => auth.clock.naive(),
    };
    let result = runtime.block_on(async {
        let storage = incognito::storage::Storage::connect(&settings.storage_url)
            .await
            .map_err(|e| format!("INCOGNITO_STORAGE_URL: {e}"))?;
        incognito::rights::retention::run(&pool, &storage, settings.retention, now, apply)
            .await
            .map_err(|e| e.to_string())
    });
    match result.and_then(|report| serde_json::to_string_pretty(&report).map_err(|e| e.to_string()))
    {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn open_for_command(settings: &Settings) -> Result<(incognito::db::DbPool, auth::Auth), ExitCode> {
    startup::prepare_data_dir(settings).map_err(|e| fail(&e))?;
    let keys = Keys::load_or_create(&settings.keys_dir())
        .map_err(|e| fail(&format!("INCOGNITO_DATA_DIR: {e}")))?;
    let pool = startup::open_database(settings).map_err(|e| fail(&e))?;
    let auth = auth::Auth::new(settings, keys, incognito::clock::Clock::system());
    Ok((pool, auth))
}
