//! Wiring: open the store, build the domain, bind, route, run, shut down gracefully.
//!
//! Shutdown order: flip the shutdown signal (the listener stops accepting, every session closes
//! its socket with 1001), wait for sessions to finish flushing (bounded), then close the store
//! (SQLite checkpoints its WAL, PostgreSQL's pool disconnects).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::broker::{Broker, LocalBroker, RedisBroker};
use crate::config::Config;
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::store::OpenStore;

/// Counts live sessions so shutdown can wait for them.
#[derive(Debug, Default)]
pub struct SessionCount {
    live: AtomicUsize,
    idle: Notify,
    /// Open sockets per user id (entries removed at zero).
    per_user: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

/// Decrements the counts when the session ends.
#[derive(Debug)]
pub struct SessionGuard {
    count: Arc<SessionCount>,
    user_id: String,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut per_user) = self.count.per_user.lock() {
            if let Some(n) = per_user.get_mut(&self.user_id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_user.remove(&self.user_id);
                }
            }
        }
        if self.count.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.count.idle.notify_waiters();
        }
    }
}

impl SessionCount {
    /// Admits one more socket for `user_id`, unless the server already holds `max_total` or
    /// the user `max_per_user` (each socket costs memory and a task, and a client that leaks
    /// sockets, or a stolen token, must not be able to take them all).
    pub fn try_enter(
        self: &Arc<Self>,
        user_id: &str,
        max_total: usize,
        max_per_user: usize,
    ) -> Result<SessionGuard> {
        let retry_after = Duration::from_secs(5);
        let Ok(mut per_user) = self.per_user.lock() else {
            return Err(Error::Internal("session count poisoned".into()));
        };
        if self.live() >= max_total {
            return Err(Error::RateLimited {
                what: "the server is at its connection limit",
                retry_after,
            });
        }
        let n = per_user.entry(user_id.to_owned()).or_insert(0);
        if *n >= max_per_user {
            return Err(Error::RateLimited {
                what: "too many sockets open for this user; close another Herald first",
                retry_after,
            });
        }
        *n += 1;
        self.live.fetch_add(1, Ordering::SeqCst);
        Ok(SessionGuard {
            count: self.clone(),
            user_id: user_id.to_owned(),
        })
    }

    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Waits until no session is live, at most `timeout`.
    pub async fn wait_idle(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, async {
            loop {
                let idle = self.idle.notified();
                if self.live() == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await;
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub domain: Arc<Domain>,
    pub shutdown: watch::Receiver<bool>,
    pub sessions: Arc<SessionCount>,
}

/// The routes of the server.
pub fn router(state: AppState) -> Router {
    crate::api::routes()
        .route("/ws", get(crate::ws::upgrade))
        .with_state(state)
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // The path only: `/ws?token=...` must never reach a log at any level (the
                // default span records the whole URI).
                |req: &axum::http::Request<axum::body::Body>| {
                    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
}

/// A server that is bound but not yet serving: seed it through [`Server::domain`] first.
pub struct Server {
    domain: Arc<Domain>,
    store: OpenStore,
    listener: TcpListener,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.local_addr())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the database and binds the listener.
    pub async fn bind(config: Config) -> Result<Self> {
        let store = OpenStore::open(&config.database).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| Error::Internal(format!("cannot listen on {}: {e}", config.bind)))?;
        let store_dyn = store.shared();
        let broker: Arc<dyn Broker> = match &config.redis_url {
            Some(url) => Arc::new(
                RedisBroker::connect(url)
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?,
            ),
            None => Arc::new(LocalBroker::new()),
        };
        let domain = Arc::new(Domain::new(config, store_dyn, broker));
        Ok(Self {
            domain,
            store,
            listener,
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub fn domain(&self) -> Arc<Domain> {
        self.domain.clone()
    }

    /// Starts serving in the background.
    pub fn start(self) -> RunningServer {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let sessions = Arc::new(SessionCount::default());
        let state = AppState {
            domain: self.domain.clone(),
            shutdown: shutdown_rx.clone(),
            sessions: sessions.clone(),
        };
        let addr = self
            .local_addr()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let pruner = spawn_pruner(self.domain.clone(), shutdown_rx.clone());
        let domain = self.domain.clone();
        let store = self.store;
        let listener = self.listener;
        let task = tokio::spawn(async move {
            let mut signal = shutdown_rx.clone();
            let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
            use axum::serve::ListenerExt;
            // `tap_io` only so axum's ConnectInfo<SocketAddr> works on the wrapped listener.
            let listener = crate::conn_guard::GuardedListener::new(listener, domain.config.conn)
                .tap_io(|_| {});
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = signal.wait_for(|stop| *stop).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "server failed");
            }
            let close_timeout = domain.config.close_timeout;
            sessions
                .wait_idle(close_timeout + Duration::from_secs(1))
                .await;
            pruner.abort();
            store.close().await;
            tracing::info!("server stopped");
        });
        RunningServer {
            addr,
            domain: self.domain,
            shutdown: shutdown_tx,
            task,
        }
    }
}

fn spawn_pruner(domain: Arc<Domain>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = domain.config.prune_interval;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            match domain
                .store
                .prune(domain.config.retention, time::OffsetDateTime::now_utc())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "pruned events outside retention"),
                Err(e) => tracing::warn!(error = %e, "pruning failed; will retry"),
            }
        }
    })
}

/// A serving server: its address, its domain (for seeding and tests) and its shutdown.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub domain: Arc<Domain>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Stops accepting, closes every socket with 1001, flushes and closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
