//! Whether the shell has started yet, for commands that arrive before it has.
//!
//! Why: the shell (SQLite cache, settings, herald-client) starts on its own thread, not in the
//! setup hook, because the setup hook runs on the main thread and the webview's asset protocol
//! is served from that thread too: opening a profile with 10k cached messages there held the
//! page and its wasm back by ~280 ms. Now both load at once, and the UI's first commands simply
//! wait here until the shell is up (or has failed), instead of failing with "still starting".

use std::time::Duration;

use herald_protocol::ipc::{ErrorCode, UiError};
use tokio::sync::watch;

/// How long a command waits for the shell before it gives up. Start-up takes well under a
/// second; this only bounds a store that hangs (a locked file on a network home directory).
pub const START_WAIT: Duration = Duration::from_secs(20);

/// Where start-up is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Ready,
    /// The shell could not start; the text is the reason, for the person.
    Failed(String),
}

/// Managed state: the start-up phase, watched by commands that arrived early.
#[derive(Debug)]
pub struct Readiness {
    phase: watch::Sender<Phase>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            phase: watch::Sender::new(Phase::Starting),
        }
    }
}

impl Readiness {
    /// Start-up finished: every waiting command goes on.
    pub fn ready(&self) {
        self.phase.send_replace(Phase::Ready);
    }

    /// Start-up failed: every waiting command answers with `reason`.
    pub fn failed(&self, reason: String) {
        self.phase.send_replace(Phase::Failed(reason));
    }

    /// Waits until start-up has finished, at most `limit`.
    pub async fn wait(&self, limit: Duration) -> Result<(), UiError> {
        let mut phase = self.phase.subscribe();
        let settled = tokio::time::timeout(limit, phase.wait_for(|p| *p != Phase::Starting)).await;
        match settled {
            Ok(Ok(p)) => match &*p {
                Phase::Failed(reason) => Err(UiError::new(
                    ErrorCode::Internal,
                    format!("Herald could not start: {reason}"),
                )),
                _ => Ok(()),
            },
            // The sender lives as long as the app: a closed channel means it is shutting down.
            Ok(Err(_)) => Err(UiError::new(
                ErrorCode::Internal,
                "Herald is shutting down.",
            )),
            Err(_) => Err(UiError::new(
                ErrorCode::Internal,
                format!(
                    "Herald is still starting after {} s; see the log. Try again in a moment.",
                    limit.as_secs()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_command_waiting_for_start_up_goes_on_once_it_is_ready() {
        let r = std::sync::Arc::new(Readiness::default());
        let waiter = tokio::spawn({
            let r = r.clone();
            async move { r.wait(Duration::from_secs(5)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        r.ready();
        assert_eq!(waiter.await.ok(), Some(Ok(())));
    }

    #[tokio::test]
    async fn a_failed_start_answers_with_its_reason() {
        let r = Readiness::default();
        r.failed("the local store could not be opened: disk I/O error".into());
        let e = r.wait(Duration::from_secs(5)).await.err();
        let e = e.as_ref().map(|e| (e.code, e.message.as_str()));
        assert_eq!(
            e,
            Some((
                ErrorCode::Internal,
                "Herald could not start: the local store could not be opened: disk I/O error"
            ))
        );
    }

    #[tokio::test]
    async fn a_start_that_never_finishes_times_out_with_a_message() {
        let r = Readiness::default();
        let e = r.wait(Duration::from_millis(20)).await.err();
        assert_eq!(e.map(|e| e.code), Some(ErrorCode::Internal));
    }
}
