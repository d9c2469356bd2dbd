//! Server configuration, passed explicitly to everything that needs it.
//!
//! One plain struct instead of globals or env reads scattered through the code: `main.rs` builds
//! it from flags and environment, tests build it with [`Config::for_tests`], and every limit the
//! protocol talks about (ping interval, retention, queue sizes, rate limits) is a field here.

use std::net::SocketAddr;
use std::time::Duration;

use herald_protocol::wire::{DEFAULT_PING_INTERVAL_SECS, LIVENESS_GRACE_SECS};

/// Where the server keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created when missing).
    SqliteFile(std::path::PathBuf),
    /// A private in-memory SQLite database; gone when the server stops.
    SqliteMemory,
    /// A PostgreSQL database, as a `postgres://` / `postgresql://` URL (several nodes can share
    /// it).
    Postgres(String),
}

impl Database {
    /// Parses a `postgres://` / `postgresql://` URL, `:memory:` or a file path (an optional
    /// `sqlite:` / `sqlite://` prefix is accepted).
    pub fn parse(s: &str) -> Self {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Self::Postgres(s.to_owned());
        }
        let s = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        if s == ":memory:" {
            Self::SqliteMemory
        } else {
            Self::SqliteFile(s.into())
        }
    }

    /// For logs and banners: the path, `:memory:`, or the URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            Self::SqliteFile(path) => path.display().to_string(),
            Self::SqliteMemory => ":memory:".into(),
            Self::Postgres(url) => {
                let Some((scheme, rest)) = url.split_once("://") else {
                    return url.clone();
                };
                let authority = rest.split(['/', '?']).next().unwrap_or_default();
                match authority.rsplit_once('@') {
                    Some((userinfo, _)) if userinfo.contains(':') => {
                        let user = userinfo.split(':').next().unwrap_or_default();
                        let after = &rest[userinfo.len()..];
                        format!("{scheme}://{user}:***{after}")
                    }
                    _ => url.clone(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn parse_tells_postgres_urls_from_sqlite_paths() {
        for url in ["postgres://u:p@db:5432/herald", "postgresql://db/herald"] {
            assert_eq!(Database::parse(url), Database::Postgres(url.into()));
        }
        assert_eq!(Database::parse(":memory:"), Database::SqliteMemory);
        assert_eq!(
            Database::parse("sqlite://data/h.db"),
            Database::SqliteFile("data/h.db".into())
        );
        assert_eq!(
            Database::parse("postgres.db"),
            Database::SqliteFile("postgres.db".into())
        );
    }

    #[test]
    fn redacted_hides_only_the_password() {
        assert_eq!(
            Database::parse("postgres://herald:s3cret@db:5432/herald").redacted(),
            "postgres://herald:***@db:5432/herald"
        );
        assert_eq!(
            Database::parse("postgres://herald@db/herald").redacted(),
            "postgres://herald@db/herald"
        );
    }
}

/// Cost of the argon2id password hashes written for new users (verification reads the cost
/// stored in each hash, so changing it never locks anybody out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl PasswordCost {
    /// OWASP's argon2id recommendation (19 MiB, 2 passes).
    pub const RECOMMENDED: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    /// Fast and insecure: tests and throwaway demos only.
    pub const CHEAP: Self = Self {
        memory_kib: 64,
        iterations: 1,
    };
}

/// How much of each user's stream is kept for resumes: an event is pruned only when it is both
/// older than `max_age` and not among the last `min_events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub min_events: u64,
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            min_events: 10_000,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    pub database: Database,
    /// HS256 secret for the JWTs the server issues and checks.
    pub jwt_secret: String,
    /// Bearer key of `POST /api/publish` (the shop backend's credential).
    pub service_key: String,
    /// Lifetime of the tokens `POST /api/login` issues.
    pub token_ttl: Duration,
    pub password_cost: PasswordCost,
    /// Interval of the server's WebSocket pings.
    pub ping_interval: Duration,
    /// A socket silent for `ping_interval + liveness_grace` is dropped.
    pub liveness_grace: Duration,
    pub retention: Retention,
    /// How often retention pruning runs.
    pub prune_interval: Duration,
    /// Frames buffered per socket before the client counts as too slow (close 4008).
    pub outbound_queue: usize,
    /// How long a closing socket may take to flush its last frames and the close frame.
    pub close_timeout: Duration,
    /// Sustained messages per second one user may send (socket and REST together).
    pub send_rate_per_sec: f64,
    /// Burst of messages allowed above the sustained rate.
    pub send_burst: f64,
    /// Sustained other requests per second one user may make (read marks, read-all,
    /// notification actions, friend requests, history loads; socket and REST together).
    pub write_rate_per_sec: f64,
    /// Burst of those requests above the sustained rate.
    pub write_burst: f64,
    /// Typing frames per second per user and room (excess ones are dropped: typing is
    /// ephemeral, and the next one carries the same news).
    pub typing_rate_per_sec: f64,
    /// Deadlines and the cap on TCP connections, below HTTP (see `conn_guard.rs`).
    pub conn: crate::conn_guard::ConnLimits,
    /// Open sockets the server holds at most (more upgrades are refused with `rate_limited`).
    pub max_sockets: usize,
    /// Open sockets one user may hold (a person with Herald on a few machines, plus the web).
    pub max_sockets_per_user: usize,
    /// Bounded password checks and sign-in backoff (see `domain/login_guard.rs`).
    pub login: crate::domain::LoginPolicy,
    /// Largest notification list a snapshot carries.
    pub snapshot_notifications: u32,
    /// Redis for fan-out between server nodes (`RedisBroker`); `None`: in-process (one node).
    pub redis_url: Option<String>,
}

impl Config {
    /// Defaults of the design (25 s pings, 10 s grace, 10,000 events / 7 days retention) with
    /// the given secrets and database.
    pub fn new(database: Database, jwt_secret: String, service_key: String) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database,
            jwt_secret,
            service_key,
            token_ttl: Duration::from_secs(12 * 3600),
            password_cost: PasswordCost::RECOMMENDED,
            ping_interval: Duration::from_secs(DEFAULT_PING_INTERVAL_SECS),
            liveness_grace: Duration::from_secs(LIVENESS_GRACE_SECS),
            retention: Retention::default(),
            prune_interval: Duration::from_secs(600),
            outbound_queue: 1024,
            close_timeout: Duration::from_secs(5),
            send_rate_per_sec: 10.0,
            send_burst: 30.0,
            write_rate_per_sec: 20.0,
            write_burst: 60.0,
            typing_rate_per_sec: 2.0,
            conn: crate::conn_guard::ConnLimits::default(),
            max_sockets: 20_000,
            max_sockets_per_user: 16,
            login: crate::domain::LoginPolicy::default(),
            snapshot_notifications: 100,
            redis_url: None,
        }
    }

    /// A config for tests: loopback port 0, cheap password hashes, fixed secrets.
    pub fn for_tests(database: Database) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            password_cost: PasswordCost::CHEAP,
            send_rate_per_sec: 1000.0,
            send_burst: 1000.0,
            write_rate_per_sec: 1000.0,
            write_burst: 1000.0,
            // Connection-cut tests reconnect faster than liveness reaps the old sockets.
            max_sockets_per_user: 1000,
            close_timeout: Duration::from_secs(1),
            ..Self::new(
                database,
                "test-jwt-secret".into(),
                "test-service-key".into(),
            )
        }
    }
}
