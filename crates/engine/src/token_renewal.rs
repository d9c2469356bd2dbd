//! Keeping the session's token fresh, so a Herald left in the tray for weeks stays signed in.
//!
//! The server says in `welcome` when the socket's token expires (`token_expires_at`; servers
//! that cannot renew leave it out, and nothing here runs). At half the remaining lifetime the
//! engine sends `renew_token` on the live socket; the reply's token goes to the driver
//! ([`Output::TokenRenewed`]: it connects with it next time, and the shell keeps it in the
//! keyring) and the next renewal is planned from the new expiry. A refused or unanswered
//! renewal is tried again a minute later while the old token lasts; when it runs out the server
//! closes with 4001 and the person is asked to sign in again, as before.

use std::time::Duration;

use herald_protocol::wire::RenewTokenOk;
use herald_protocol::Timestamp;

use super::ops::{Op, Revert};
use super::{Engine, Now, Output};

/// How long after a failed renewal the next try goes out.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

impl Engine {
    /// Plans the next renewal for a token that expires at `expires_at`.
    pub(crate) fn plan_token_renewal(&mut self, now: Now, expires_at: Timestamp) {
        let left = Duration::try_from(expires_at - now.wall).unwrap_or_default();
        self.token_expires_at = Some(expires_at);
        self.token_renewal_at = Some(now.mono + left / 2);
    }

    /// Sends `renew_token` when it is due and the socket is live (called from the timer).
    pub(crate) fn renew_token_if_due(&mut self, now: Now) {
        let due = self.token_renewal_at.is_some_and(|at| at <= now.mono);
        if due && self.is_live() {
            self.token_renewal_at = None;
            self.queue_op(now, Op::RenewToken, Revert::Nothing);
        }
    }

    /// The server's answer to `renew_token`.
    pub(crate) fn token_renewed(&mut self, now: Now, result: Result<RenewTokenOk, String>) {
        match result {
            Ok(ok) => {
                self.out.push_back(Output::TokenRenewed {
                    token: ok.token,
                    expires_at: ok.expires_at,
                });
                self.plan_token_renewal(now, ok.expires_at);
            }
            Err(why) => {
                tracing::warn!(%why, "token renewal refused; trying again in a minute");
                let still_valid = self.token_expires_at.is_some_and(|exp| exp > now.wall);
                self.token_renewal_at = still_valid.then(|| now.mono + RETRY_AFTER_FAILURE);
            }
        }
    }

    /// When the next renewal is due, for `poll_timeout`.
    pub(crate) fn token_renewal_deadline(&self) -> Option<std::time::Instant> {
        self.token_renewal_at.filter(|_| self.is_live())
    }
}
