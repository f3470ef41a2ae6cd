//! Background notification delivery while the server runs: every interval, one
//! `Ams::notify_run_due` on a database worker (docs/notifications.md). Each run claims its
//! messages race-free, so several servers (and `ams notify run-due` from a timer) sharing one
//! database never send one message twice at the same time.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;

/// Runs delivery every `interval` until `stop` changes. The first run is at once (messages
/// queued while no server ran go out when it starts).
pub async fn deliver_in_background(
    engine: Arc<Engine>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let r = engine
            .run(|ctx| {
                let keyring = ctx.keyring().ok();
                ctx.ams().notify_run_due(keyring.as_deref(), None)
            })
            .await;
        match r {
            Ok(rep) if rep.claimed > 0 => tracing::info!(
                claimed = rep.claimed,
                delivered = rep.delivered,
                retrying = rep.retrying,
                dead_lettered = rep.dead_lettered,
                "notifications delivered"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(code = e.code().as_str(), "notification delivery run failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}
