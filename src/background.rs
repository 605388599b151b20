//! The service's background rounds, started with the server and stopped with it: assignment
//! deadlines, overdue reviews and daily digests every minute, status callbacks to authorised agents
//! every few seconds, a new day's live index as soon as a day begins, the change log every
//! tenth of a second, retention clean-up and the live index every five,
//! the sweep of orphaned files every hour.

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;

/// Assignment deadlines, once a minute: lapsed offers expire, overdue visits are noted and,
/// after the grace period, taken back. Safe with several servers (see `deadlines::sweep`).
pub async fn deadlines(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let notifier = state.notifier();
    let mut round: u64 = 0;
    loop {
        let now = state.clock.naive();
        let n = notifier.clone();
        match state
            .db
            .run(move |conn| crate::assignments::deadlines::sweep(conn, &n, now))
            .await
        {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "assignment deadlines applied");
                state.mail.wake();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "assignment deadlines failed"),
        }
        // The daily digests: looked at every ten minutes, each shopper's sent once a day.
        if round.is_multiple_of(10) {
            let n = notifier.clone();
            let keys = state.auth.keys.clone();
            let live = state.live.clone();
            match state
                .db
                .run(move |conn| {
                    crate::assignments::deadlines::digests(conn, &keys, &live, &n, now)
                })
                .await
            {
                Ok(0) => {}
                Ok(sent) => {
                    tracing::info!(sent, "daily digests queued");
                    state.mail.wake();
                }
                Err(e) => tracing::warn!(error = ?e, "daily digests failed"),
            }
        }
        // Reports that waited for QA longer than their project allows, approved by themselves
        // where the project says so.
        let url = state.auth.public_url.clone();
        match state
            .db
            .run(move |conn| crate::pay::service::approve_overdue(conn, &url, now))
            .await
        {
            Ok(0) => {}
            Ok(approved) => tracing::info!(approved, "overdue reports approved by themselves"),
            Err(e) => tracing::warn!(error = ?e, "approving overdue reports failed"),
        }
        // Pay lines whose reports can no longer be disputed: owed from now on.
        match state
            .db
            .run(move |conn| crate::pay::service::mature(conn, now))
            .await
        {
            Ok(0) => {}
            Ok(owed) => tracing::info!(owed, "pay lines past their dispute days"),
            Err(e) => tracing::warn!(error = ?e, "maturing pay lines failed"),
        }
        round += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Periodic clean-up that the data inventory's retention rules call for.
pub async fn housekeeping(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut round: u64 = 0;
    loop {
        let auth = state.auth.clone();
        if let Err(e) = state
            .db
            .run(move |conn| crate::auth::service::purge_expired(conn, &auth))
            .await
        {
            tracing::warn!(error = ?e, "housekeeping failed");
        }
        // The live index: built at start (the first round), kept warm, its change log pruned.
        let (keys, live) = (state.auth.keys.clone(), state.live.clone());
        let now = state.clock.naive();
        if let Err(e) = state
            .db
            .run(move |conn| {
                live.refresh(conn, &keys, now.date())?;
                crate::assignments::live::prune(conn, now)?;
                Ok(())
            })
            .await
        {
            tracing::warn!(error = ?e, "live index housekeeping failed");
        }
        // The retention schedule, five minutes after start and then daily (every 288 rounds
        // of five minutes).
        if round % 288 == 1 {
            let now = state.clock.naive();
            match crate::rights::retention::run(
                &state.db,
                &state.storage,
                state.settings.retention,
                now,
                true,
            )
            .await
            {
                Ok(report) => tracing::info!(counts = ?report.counts, "retention schedule applied"),
                Err(e) => tracing::warn!(error = ?e, "retention schedule failed"),
            }
        }
        // Files: orphaned objects, unfinished uploads and scratch files, once an hour.
        if round.is_multiple_of(12) {
            let swept = crate::media::sweep::sweep(
                &state.db,
                &state.storage,
                &state.settings.data_dir,
                state.clock.naive(),
                crate::media::sweep::ORPHAN_AGE,
            )
            .await;
            match swept {
                Ok(swept) if swept != Default::default() => {
                    tracing::info!(?swept, "files swept");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the file sweep failed"),
            }
        }
        round += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(300)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Authorised agents' requests, every few seconds: those the person did not confirm within 7
/// days are denied; then status callbacks (the Data Rights Protocol's push model): each
/// request whose status changed is posted to its agent's `status_callback`;
/// a failed post is tried again later, waiting longer each time (see `privacy::drp`).
pub async fn drp_callbacks(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = state.clock.naive();
        // Agents' requests the person did not confirm in time are closed first, so that their
        // agents hear of it in this round.
        match state
            .db
            .run(move |conn| crate::privacy::requests::lapse_confirmations(conn, now))
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(lapsed = n, "agents' requests not confirmed in time");
                state.mail.wake();
            }
            Err(e) => tracing::warn!(error = ?e, "closing unconfirmed requests failed"),
        }
        let url = state.settings.public_base();
        match state
            .db
            .run(move |conn| Ok(crate::privacy::drp::due_callbacks(conn, &url, now, 20)?))
            .await
        {
            Ok(due) => {
                for callback in due {
                    let (id, lease) = (callback.request_id, callback.lease);
                    let delivered = tokio::task::spawn_blocking(move || {
                        crate::privacy::drp::post_callback(&callback)
                    })
                    .await
                    .unwrap_or(false);
                    let now = state.clock.naive();
                    if let Err(e) = state
                        .db
                        .run(move |conn| {
                            Ok(crate::privacy::drp::callback_done(
                                conn, id, lease, delivered, now,
                            )?)
                        })
                        .await
                    {
                        tracing::warn!(error = ?e, "recording a status callback failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = ?e, "loading status callbacks failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// A new day's live index, built in the background (see `assignments::live`): woken by the
/// first request that finds a new day, or by the minute's look at the clock. Requests are
/// answered from the index held meanwhile.
pub async fn live_days(state: AppState, mut shutdown: watch::Receiver<bool>) {
    state.live.build_new_days_in_background();
    loop {
        tokio::select! {
            _ = state.live.new_day_wanted() => {}
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = shutdown.changed() => return,
        }
        let today = state.clock.naive().date();
        let (keys, live) = (state.auth.keys.clone(), state.live.clone());
        match state
            .db
            .run(move |conn| live.build_new_day(conn, &keys, today))
            .await
        {
            Ok(true) => tracing::info!(%today, "live index built for a new day"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = ?e, "building a new day's live index failed"),
        }
    }
}

/// Follows the change log (see `auth::sessions`): every tenth of a second, forgets the sessions
/// ended since the last round, lets memory answer as of the round's start, and brings the live
/// index to the version read. The index is caught up on a task of its own, so that a long
/// rebuild never holds up the sessions' rounds; a round that fails leaves memory untrusted
/// within a second.
pub async fn follow_changes(state: AppState, mut shutdown: watch::Receiver<bool>) {
    use crate::auth::sessions::FOLLOW_EVERY;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut failing = false;
    let refreshing = Arc::new(AtomicBool::new(false));
    loop {
        let began = std::time::Instant::now();
        let sessions = state.auth.sessions.clone();
        match state.db.run(move |conn| Ok(sessions.catch_up(conn)?)).await {
            Ok(version) => {
                state.auth.sessions.synced(version, began);
                failing = false;
                // An index not yet built is built by the first request or housekeeping.
                let behind = state.live.version().is_some_and(|held| held < version);
                if behind && !refreshing.swap(true, Ordering::AcqRel) {
                    let (keys, live, db) = (
                        state.auth.keys.clone(),
                        state.live.clone(),
                        state.db.clone(),
                    );
                    let (today, done) = (state.clock.naive().date(), refreshing.clone());
                    tokio::spawn(async move {
                        if let Err(e) = db.run(move |conn| live.refresh(conn, &keys, today)).await {
                            tracing::warn!(error = ?e, "bringing the live index up to date failed");
                        }
                        done.store(false, Ordering::Release);
                    });
                }
            }
            // Said once, not ten times a second, while the database does not answer.
            Err(e) if !failing => {
                tracing::warn!(error = ?e, "following the change log failed");
                failing = true;
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
