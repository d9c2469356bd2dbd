//! Test support: start a real server in-process and talk to it.
//!
//! Always compiled rather than behind a feature: a feature only the tests enable gives the test
//! build and `scripts/run.sh` two different herald-server crates, and each command would rebuild
//! what the other built (the `run and test builds share artifacts` gate checks this).
//!
//! Used by this crate's integration tests and by other crates' tests (the client engine's
//! end-to-end tests) so that everybody tests against the real thing, on a loopback port:
//!
//! ```ignore
//! let server = herald_server::testing::spawn(Config::for_tests(Database::SqliteMemory)).await?;
//! herald_server::testing::add_user(&server, "alice", "pw").await?;
//! let login = herald_server::testing::login(server.addr, "alice", "pw").await?;
//! let mut ws = WsClient::connect(server.addr, &login.token).await?;
//! let (welcome, snapshot) = ws.hello(None).await?;
//! server.shutdown().await;
//! ```
//! Every receive is bounded by [`RECV_TIMEOUT`], so a missing frame fails a test instead of
//! hanging it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use futures_util::{SinkExt, StreamExt};
use herald_protocol::wire::{
    ClientFrame, EventFrame, Hello, LoginRequest, LoginResponse, Reply, ServerFrame, Snapshot,
    StreamPosition, User, Welcome, PROTOCOL_VERSION,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::config::Config;
use crate::server::{RunningServer, Server};

/// How long a test waits for any single frame.
pub const RECV_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts a server on `config.bind` (use port 0) and returns it running.
pub async fn spawn(config: Config) -> anyhow::Result<RunningServer> {
    Ok(Server::bind(config).await?.start())
}

/// Creates a user (id = username, name = capitalised username) unless it exists.
pub async fn add_user(
    server: &RunningServer,
    username: &str,
    password: &str,
) -> anyhow::Result<User> {
    let mut name = username.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    Ok(server
        .domain
        .ensure_user(username, username, &name, password)
        .await?)
}

/// `POST /api/login`.
pub async fn login(
    addr: SocketAddr,
    username: &str,
    password: &str,
) -> anyhow::Result<LoginResponse> {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/login"))
        .json(&LoginRequest {
            username: username.into(),
            password: password.into(),
        })
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("login failed: {}", res.status());
    }
    Ok(res.json().await?)
}

/// A minimal protocol client over tokio-tungstenite.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read while waiting for something else (a reply), in arrival order.
    pending: VecDeque<ServerFrame>,
}

impl std::fmt::Debug for WsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsClient")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl WsClient {
    /// Connects to `/ws` with a bearer token.
    pub async fn connect(addr: SocketAddr, token: &str) -> anyhow::Result<Self> {
        let mut req = format!("ws://{addr}/ws").into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let config = WebSocketConfig::default().max_message_size(Some(16 << 20));
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
        Ok(Self {
            ws,
            pending: VecDeque::new(),
        })
    }

    /// Sends a frame.
    pub async fn send(&mut self, frame: &ClientFrame) -> anyhow::Result<()> {
        self.send_text(&serde_json::to_string(frame)?).await
    }

    /// Sends raw text (garbage, oversize frames...).
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// The next server frame (pings and pongs skipped), within [`RECV_TIMEOUT`].
    pub async fn recv(&mut self) -> anyhow::Result<ServerFrame> {
        if let Some(f) = self.pending.pop_front() {
            return Ok(f);
        }
        self.read_frame().await
    }

    async fn read_frame(&mut self) -> anyhow::Result<ServerFrame> {
        loop {
            let msg = tokio::time::timeout(RECV_TIMEOUT, self.ws.next())
                .await
                .context("timed out waiting for a frame")?
                .ok_or_else(|| anyhow!("socket closed"))??;
            match msg {
                Message::Text(t) => return Ok(serde_json::from_str(&t)?),
                Message::Close(c) => bail!("socket closed: {c:?}"),
                _ => continue,
            }
        }
    }

    /// Sends `hello`; returns `welcome` and, when not recovered, the `snapshot`.
    pub async fn hello(
        &mut self,
        resume: Option<StreamPosition>,
    ) -> anyhow::Result<(Welcome, Option<Snapshot>)> {
        self.send(&ClientFrame::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            resume,
        }))
        .await?;
        let ServerFrame::Welcome(w) = self.recv().await? else {
            bail!("expected welcome")
        };
        if w.recovered {
            return Ok((w, None));
        }
        match self.recv().await? {
            ServerFrame::Snapshot(s) => Ok((w, Some(s))),
            other => bail!("expected snapshot, got {other:?}"),
        }
    }

    /// The next `event` frame (other frames before it are skipped).
    pub async fn next_event(&mut self) -> anyhow::Result<EventFrame> {
        loop {
            if let ServerFrame::Event(e) = self.recv().await? {
                return Ok(e);
            }
        }
    }

    /// Sends a request and waits for its reply; frames read meanwhile stay queued for `recv`.
    pub async fn request(&mut self, frame: &ClientFrame) -> anyhow::Result<Reply> {
        let id = frame
            .request_id()
            .ok_or_else(|| anyhow!("not a request"))?
            .to_owned();
        self.send(frame).await?;
        let mut held = Vec::new();
        loop {
            match self.read_frame().await? {
                ServerFrame::Reply(r) if r.id == id => {
                    self.pending.extend(held);
                    return Ok(r);
                }
                other => held.push(other),
            }
        }
    }

    /// Reads until the server closes; returns the close code (None for a close without frame).
    pub async fn closed(&mut self) -> anyhow::Result<Option<u16>> {
        loop {
            let msg = tokio::time::timeout(RECV_TIMEOUT, self.ws.next())
                .await
                .context("timed out waiting for close")?;
            match msg {
                Some(Ok(Message::Close(c))) => return Ok(c.map(|c| u16::from(c.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Ok(None),
            }
        }
    }

    /// The raw socket (to stop reading it, or close it abruptly).
    pub fn into_inner(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.ws
    }
}
