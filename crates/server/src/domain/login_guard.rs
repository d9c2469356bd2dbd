//! What stands between `POST /api/login` and the password hashes.
//!
//! - **Bounded hashing.** One argon2 check holds ~19 MiB for tens of milliseconds; without a
//!   bound, 64 concurrent wrong logins took the server from 23 MiB to 1.2 GiB. Checks run behind
//!   a semaphore sized to the cores (a login waits its turn; more cores would not make the
//!   waiting ones faster anyway).
//! - **Backoff.** After a few wrong passwords for one username, or many from one address,
//!   further attempts are refused with `rate_limited` and a retry hint, doubling up to a cap, so
//!   online guessing costs hours instead of nothing. A success clears the username's count.
//! - **No user oracle.** An unknown username is checked against a dummy hash of the same cost,
//!   so it takes as long as a known one and says the same "wrong username or password".

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::auth;
use crate::config::PasswordCost;
use crate::error::{Error, Result};

/// How many failures are free and how the wait grows after them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginPolicy {
    /// Concurrent password checks (default: the machine's cores).
    pub concurrent_checks: usize,
    /// Wrong passwords for one username before attempts are spaced out.
    pub free_failures_per_user: u32,
    /// Failed logins from one address (any usernames) before attempts are spaced out.
    pub free_failures_per_address: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// A key with no failure for this long starts over.
    pub forget_after: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            concurrent_checks: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            free_failures_per_user: 5,
            free_failures_per_address: 20,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Counters for tests and `/metrics`.
#[derive(Debug, Default)]
pub struct LoginCounters {
    /// Password checks run (known and unknown usernames alike).
    pub checks: AtomicU64,
    /// The most checks that ever ran at once.
    pub peak_concurrent: AtomicU64,
    running: AtomicU64,
    /// Attempts refused by the backoff before any check.
    pub refused: AtomicU64,
}

/// The guard; one per server.
pub struct LoginGuard {
    policy: LoginPolicy,
    checks: Semaphore,
    failures: Mutex<HashMap<String, Failures>>,
    dummy_hash: String,
    pub counters: LoginCounters,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn user_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

fn address_key(addr: IpAddr) -> String {
    format!("addr:{addr}")
}

impl LoginGuard {
    /// Builds the guard; hashes the dummy password once with `cost` (the cost new passwords
    /// get, so an unknown username costs what a known one does).
    pub fn new(policy: LoginPolicy, cost: PasswordCost) -> Self {
        let dummy_hash = auth::hash_password("herald: no such user", cost).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not hash the dummy password; unknown usernames answer faster");
            String::new()
        });
        Self {
            checks: Semaphore::new(policy.concurrent_checks.max(1)),
            policy,
            failures: Mutex::new(HashMap::new()),
            dummy_hash,
            counters: LoginCounters::default(),
        }
    }

    /// Refuses an attempt while its username or address is backing off.
    pub fn admit(&self, username: &str, addr: Option<IpAddr>, now: Instant) -> Result<()> {
        let wait = [
            Some((user_key(username), self.policy.free_failures_per_user)),
            addr.map(|a| (address_key(a), self.policy.free_failures_per_address)),
        ]
        .into_iter()
        .flatten()
        .filter_map(|(key, free)| self.wait_left(&key, free, now))
        .max();
        match wait {
            Some(retry_after) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                Err(Error::RateLimited {
                    what: "too many failed sign-ins",
                    retry_after,
                })
            }
            None => Ok(()),
        }
    }

    fn wait_left(&self, key: &str, free: u32, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let f = failures.get(key)?;
        if f.count < free {
            return None;
        }
        let doublings = (f.count - free).min(30);
        let wait = self
            .policy
            .first_wait
            .saturating_mul(1u32 << doublings)
            .min(self.policy.max_wait);
        wait.checked_sub(now.saturating_duration_since(f.last))
            .filter(|left| !left.is_zero())
    }

    /// Checks `password` against `hash` (or the dummy hash when the user is unknown), at most
    /// `concurrent_checks` at a time.
    pub async fn check(&self, password: &str, hash: Option<String>) -> Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let _permit: SemaphorePermit<'_> = self
            .checks
            .acquire()
            .await
            .map_err(|e| Error::Internal(format!("login semaphore: {e}")))?;
        let running = self.counters.running.fetch_add(1, Ordering::Relaxed) + 1;
        self.counters
            .peak_concurrent
            .fetch_max(running, Ordering::Relaxed);
        self.counters.checks.fetch_add(1, Ordering::Relaxed);
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .map_err(|e| Error::Internal(format!("password check: {e}")));
        self.counters.running.fetch_sub(1, Ordering::Relaxed);
        Ok(ok? && known)
    }

    /// Counts a failed attempt against the username and the address.
    pub fn failed(&self, username: &str, addr: Option<IpAddr>, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > 100_000 {
            let forget = self.policy.forget_after;
            failures.retain(|_, f| now.saturating_duration_since(f.last) < forget);
        }
        for key in [Some(user_key(username)), addr.map(address_key)]
            .into_iter()
            .flatten()
        {
            let f = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
            });
            if now.saturating_duration_since(f.last) >= self.policy.forget_after {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
        }
    }

    /// A correct password: the username starts over (the address keeps its count, so one
    /// known account does not launder guesses at others).
    pub fn succeeded(&self, username: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&user_key(username));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> LoginGuard {
        LoginGuard::new(
            LoginPolicy {
                concurrent_checks: 2,
                free_failures_per_user: 3,
                free_failures_per_address: 5,
                first_wait: Duration::from_secs(1),
                max_wait: Duration::from_secs(8),
                forget_after: Duration::from_secs(60),
            },
            PasswordCost::CHEAP,
        )
    }

    #[test]
    fn a_username_backs_off_after_its_free_failures_doubling_to_the_cap() {
        let g = guard();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(g.admit("Alice", None, t0).is_ok());
            g.failed("alice", None, t0);
        }
        let wait = |g: &LoginGuard, at| match g.admit(" ALICE ", None, at) {
            Err(Error::RateLimited { retry_after, .. }) => Some(retry_after),
            _ => None,
        };
        assert_eq!(wait(&g, t0), Some(Duration::from_secs(1)));
        assert_eq!(wait(&g, t0 + Duration::from_secs(1)), None, "waited it out");
        for _ in 0..10 {
            g.failed("alice", None, t0);
        }
        assert_eq!(wait(&g, t0), Some(Duration::from_secs(8)), "capped");
        assert!(
            g.admit("bob", None, t0).is_ok(),
            "other users are not affected"
        );
        g.succeeded("alice");
        assert_eq!(wait(&g, t0), None, "a success starts over");
    }

    #[test]
    fn one_address_guessing_many_usernames_backs_off_too() {
        let g = guard();
        let t0 = Instant::now();
        let addr: IpAddr = "192.0.2.7".parse().unwrap();
        for i in 0..5 {
            g.failed(&format!("user{i}"), Some(addr), t0);
        }
        assert!(g.admit("someone-new", Some(addr), t0).is_err());
        assert!(g
            .admit("someone-new", Some("192.0.2.8".parse().unwrap()), t0)
            .is_ok());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_hour() {
        let g = guard();
        let t0 = Instant::now();
        for _ in 0..3 {
            g.failed("alice", None, t0);
        }
        let later = t0 + Duration::from_secs(61);
        g.failed("alice", None, later);
        assert!(
            g.admit("alice", None, later).is_ok(),
            "one failure, not four"
        );
    }

    #[tokio::test]
    async fn an_unknown_user_costs_a_password_check_and_never_succeeds() {
        let g = guard();
        assert!(!g.check("herald: no such user", None).await.unwrap());
        assert_eq!(g.counters.checks.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_checks_never_exceed_the_bound() {
        let g = std::sync::Arc::new(guard());
        let hash = auth::hash_password("right", PasswordCost::CHEAP).unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (g, hash) = (g.clone(), hash.clone());
                tokio::spawn(async move { g.check("wrong", Some(hash)).await })
            })
            .collect();
        for t in tasks {
            assert!(!t.await.unwrap().unwrap());
        }
        assert_eq!(g.counters.checks.load(Ordering::Relaxed), 16);
        let peak = g.counters.peak_concurrent.load(Ordering::Relaxed);
        assert!((1..=2).contains(&peak), "peak {peak}");
    }
}
