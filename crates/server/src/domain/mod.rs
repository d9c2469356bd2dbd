//! The operations of Herald, shared by the socket and REST: validate, run one store
//! transaction, then publish the committed events.
//!
//! Both transports call these functions with the user the token named, so a write over REST or
//! the publish API reaches the user's sockets exactly like a write over the socket.

mod admin;
mod chat;
mod inbox;
pub mod login_guard;
pub mod rate;

use std::sync::Arc;

use herald_protocol::wire::{LoginResponse, ServerFrame, TypingNotice, User};

use crate::auth::{self, TokenKeys};
use crate::broker::{Broker, Delivery};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::store::{NewUser, Store};
use crate::stream::Committed;

pub use login_guard::{LoginGuard, LoginPolicy};
pub use rate::RateLimiter;

/// Everything a request needs, shared by all sessions and handlers.
pub struct Domain {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub broker: Arc<dyn Broker>,
    pub metrics: Arc<Metrics>,
    pub keys: TokenKeys,
    sends: RateLimiter,
    writes: RateLimiter,
    typing: RateLimiter,
    pub login_guard: LoginGuard,
}

impl std::fmt::Debug for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domain").finish_non_exhaustive()
    }
}

impl Domain {
    pub fn new(config: Config, store: Arc<dyn Store>, broker: Arc<dyn Broker>) -> Self {
        let keys = TokenKeys::new(&config.jwt_secret);
        let sends = RateLimiter::new(config.send_rate_per_sec, config.send_burst);
        let writes = RateLimiter::new(config.write_rate_per_sec, config.write_burst);
        let typing = RateLimiter::new(config.typing_rate_per_sec, 2.0);
        let login_guard = LoginGuard::new(config.login.clone(), config.password_cost);
        Self {
            config,
            store,
            broker,
            metrics: Arc::new(Metrics::default()),
            keys,
            sends,
            writes,
            typing,
            login_guard,
        }
    }

    /// Takes one request from `user`'s budget of non-message requests, or refuses with
    /// `rate_limited` and how long to wait. Every write path calls it, socket and REST alike:
    /// without it one account could append events (and grow the log) as fast as it can loop.
    pub(crate) fn spend_request(&self, user: &User, what: &'static str) -> Result<()> {
        self.writes
            .take(&user.id, std::time::Instant::now())
            .map_err(|retry_after| Error::RateLimited { what, retry_after })
    }

    /// Pushes committed events to their users' live sockets. Call only after the commit.
    pub fn publish(&self, events: Vec<Committed>) {
        self.metrics
            .add(&self.metrics.events_committed, events.len() as u64);
        // The event JSON was serialized once by the store; each user's frame only splices in
        // their seq, and every socket of that user shares the same bytes.
        for c in events {
            self.broker.publish(
                &c.user_id,
                Delivery {
                    seq: Some(c.seq),
                    text: c.frame_text().into(),
                },
            );
        }
    }

    /// Creates a user with a hashed password unless the username exists (idempotent seeding).
    pub async fn ensure_user(
        &self,
        id: &str,
        username: &str,
        name: &str,
        password: &str,
    ) -> Result<User> {
        if let Some((user, _)) = self.store.credentials(username).await? {
            return Ok(user);
        }
        let password_hash = auth::hash_password(password, self.config.password_cost)?;
        let new = NewUser {
            id: id.into(),
            username: username.into(),
            name: name.into(),
            password_hash,
        };
        self.store.ensure_user(&new).await
    }

    /// Checks a password and issues a token.
    /// Signs in. `addr` is the client's address (the backoff counts failures per address too).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        addr: Option<std::net::IpAddr>,
    ) -> Result<LoginResponse> {
        let refused = || Error::Unauthorized("wrong username or password".into());
        let guard = &self.login_guard;
        guard.admit(username, addr, std::time::Instant::now())?;
        let found = self.store.credentials(username).await?;
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        // An unknown username is checked against a dummy hash: same time, same answer.
        let ok = guard.check(password, hash).await?;
        let Some(user) = user.filter(|_| ok) else {
            guard.failed(username, addr, std::time::Instant::now());
            return Err(refused());
        };
        guard.succeeded(username);
        let token = self.keys.mint(
            &user,
            time::OffsetDateTime::now_utc(),
            self.config.token_ttl,
        )?;
        Ok(LoginResponse { token, user })
    }

    /// A fresh token for a signed-in user (the socket's `renew_token`, `POST /api/session/renew`),
    /// so a session lasts as long as its client keeps renewing. A user who no longer exists
    /// gets `unauthorized`.
    pub async fn renew_token(&self, user: &User) -> Result<herald_protocol::wire::RenewTokenOk> {
        self.spend_request(user, "too many token renewals")?;
        let current = self
            .store
            .find_user(&user.id)
            .await?
            .ok_or_else(|| Error::Unauthorized("this account no longer exists".into()))?;
        let now = time::OffsetDateTime::now_utc();
        let token = self.keys.mint(&current, now, self.config.token_ttl)?;
        let ttl = time::Duration::try_from(self.config.token_ttl).unwrap_or(time::Duration::ZERO);
        Ok(herald_protocol::wire::RenewTokenOk {
            token,
            // `mint` counts in whole seconds from `now`'s.
            expires_at: time::OffsetDateTime::from_unix_timestamp(now.unix_timestamp())
                .unwrap_or(now)
                + ttl,
        })
    }

    /// Tells the room's other members' sockets that `user` is (not) typing. Never stored.
    pub async fn typing(&self, user: &User, room_id: &str, typing: bool) -> Result<()> {
        let key = format!("{}\u{0}{room_id}", user.id);
        if let Err(retry_after) = self.typing.take(&key, std::time::Instant::now()) {
            return Err(Error::RateLimited {
                what: "too many typing updates",
                retry_after,
            });
        }
        let room = self.store.room_for(&user.id, room_id).await?;
        let notice = TypingNotice {
            room_id: room_id.into(),
            user: user.clone(),
            typing,
        };
        let text: axum::extract::ws::Utf8Bytes =
            serde_json::to_string(&ServerFrame::Typing(notice))?.into();
        for member in room.members.iter().filter(|m| m.id != user.id) {
            self.broker.publish(
                &member.id,
                Delivery {
                    seq: None,
                    text: text.clone(),
                },
            );
        }
        Ok(())
    }
}
