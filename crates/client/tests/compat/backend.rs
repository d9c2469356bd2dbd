//! The Python backends of `tests/compat/` (Django Channels under daphne, python-socketio on
//! aiohttp) as child processes on loopback, and a Herald client signed in to one of them.
//!
//! The backends are built from the seed documents, not from Herald's protocol; their `/_test/*`
//! endpoints save and then push, as the real systems' own code does, so a test can make "bob
//! writes" or "stock runs low" happen. Every wait is bounded and every child is killed on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use herald_client::engine::EngineConfig;
use herald_client::store::SqliteStore;
use herald_client::{Client, ClientConfig, ClientHandle, NativeNotification};
use herald_protocol::ipc::{EngineCommand, UiEventBatch, UiReply, ViewState};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

pub const WAIT: Duration = Duration::from_secs(60);
pub const PASSWORD: &str = "password";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv `tests/compat/setup.sh` made (the bootstrap runs it).
fn python() -> PathBuf {
    let venv = std::env::var_os("HERALD_COMPAT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/herald/compat-venv")
        });
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "no compat venv at {}: run `bash tests/compat/setup.sh` (scripts/bootstrap.sh does)",
        venv.display()
    );
    py
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// One running seed backend. Its state lives in `data` and survives [`PyBackend::restart`].
pub struct PyBackend {
    seed: &'static str,
    pub port: u16,
    data: PathBuf,
    child: Option<Child>,
    http: reqwest::Client,
}

impl PyBackend {
    /// Starts seed `001`..`004` with its state under `data` (seeded when empty).
    pub fn start(seed: &'static str, data: &Path) -> PyBackend {
        let mut b = PyBackend {
            seed,
            port: free_port(),
            data: data.to_path_buf(),
            child: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("http client"),
        };
        b.spawn();
        b
    }

    fn spawn(&mut self) {
        std::fs::create_dir_all(&self.data).expect("backend data dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.join("backend.log"))
            .expect("backend log");
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/compat/run.py"))
            .arg(self.seed)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--data")
            .arg(&self.data)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the compat backend");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if line.starts_with("READY") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(WAIT).is_err() {
            let _ = child.kill();
            let log = std::fs::read_to_string(self.data.join("backend.log")).unwrap_or_default();
            panic!(
                "backend {} did not print READY within {WAIT:?}:\n{log}",
                self.seed
            );
        }
        self.child = Some(child);
    }

    /// Kills the process (as a crash or a deploy would) and starts it again on the same port
    /// with the same state.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One JSON call; `token` as `Authorization: Bearer`, as a signed-in user's web app sends it.
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            let log = std::fs::read_to_string(self.data.join("backend.log")).unwrap_or_default();
            let tail: String = log
                .chars()
                .rev()
                .take(3000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            panic!("{method} {path}: {status} {text}\nbackend log (end):\n{tail}");
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A `/_test/*` control call (save, then push).
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, None, path, Some(body))
            .await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, None, path, None).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Value {
        self.call(reqwest::Method::GET, Some(token), path, None)
            .await
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::PATCH, Some(token), path, Some(body))
            .await
    }

    /// The backend's own view of `user` (`GET /_test/state`), the truth a test compares with.
    pub async fn state(&self, user: &str) -> Value {
        self.get(&format!("/_test/state?user={user}")).await
    }
}

impl Drop for PyBackend {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reconnects within a fraction of a second, so a test does not wait out real backoff, and
/// checks liveness often.
pub fn fast_engine() -> EngineConfig {
    let mut cfg = EngineConfig::default();
    cfg.connection.backoff_min = Duration::from_millis(50);
    cfg.connection.backoff_max = Duration::from_millis(300);
    cfg.connection.connect_timeout = Duration::from_secs(5);
    // Liveness every half second, so a silent socket is noticed within a test's patience.
    cfg.connection.ping_interval = Duration::from_millis(500);
    cfg.connection.liveness_grace = Duration::from_millis(1500);
    cfg
}

/// A Herald client on the store at `db`, with a kept `token` (a restart) or none (to sign in).
fn start_client(
    db: &Path,
    token: Option<String>,
) -> (
    ClientHandle,
    UnboundedReceiver<UiEventBatch>,
    UnboundedReceiver<NativeNotification>,
) {
    let store = SqliteStore::open(db).expect("client store");
    Client::start(
        ClientConfig {
            token,
            engine: fast_engine(),
            ..Default::default()
        },
        store,
    )
    .expect("client starts")
}

/// A Herald client (the desktop core without a window) with its SQLite store at `db`.
pub struct Herald {
    pub handle: ClientHandle,
    /// Kept open so the client's UI batches have somewhere to go.
    _ui: UnboundedReceiver<UiEventBatch>,
    pub native: UnboundedReceiver<NativeNotification>,
    pub token: String,
}

impl Herald {
    /// Signs `user` in to `url` with the `profile` (a built-in name or a file) and waits until
    /// the first sync is applied.
    pub async fn sign_in(db: &Path, url: &str, profile: &str, user: &str) -> Herald {
        let (handle, ui, native) = start_client(db, None);
        let login = handle
            .login_to(url, Some(profile), user, PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("login of {user} to {profile}: {e:?}"));
        let h = Herald {
            handle,
            _ui: ui,
            native,
            token: login.token,
        };
        h.wait_live().await;
        h
    }

    /// Signs in to `url` with a `token` pasted from the backend's web app; waits for nothing.
    pub async fn paste_token(
        db: &Path,
        url: &str,
        profile: &str,
        token: &str,
    ) -> Result<Herald, herald_protocol::ipc::UiError> {
        let (handle, ui, native) = start_client(db, None);
        let login = handle.login_with_token(url, Some(profile), token).await?;
        Ok(Herald {
            handle,
            _ui: ui,
            native,
            token: login.token,
        })
    }

    /// Starts again from the store at `db` with the kept token, as the app does after a restart.
    pub async fn restart_from(db: &Path, token: String) -> Herald {
        let (handle, ui, native) = start_client(db, Some(token.clone()));
        let h = Herald {
            handle,
            _ui: ui,
            native,
            token,
        };
        h.wait_live().await;
        h
    }

    pub async fn wait_live(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let st = self.handle.debug_state().await.expect("debug state");
            if st.live {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not live within {WAIT:?}: {st:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn view(&self) -> ViewState {
        match self.handle.command(EngineCommand::GetViewState).await {
            Ok(UiReply::ViewState(v)) => *v,
            other => panic!("GetViewState: {other:?}"),
        }
    }

    /// Waits (bounded) until the view satisfies `pred`; returns that view.
    pub async fn wait_view(&self, what: &str, pred: impl Fn(&ViewState) -> bool) -> ViewState {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let v = self.view().await;
            if pred(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {v:#?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn command(&self, cmd: EngineCommand) {
        let what = format!("{cmd:?}");
        self.handle
            .command(cmd)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    }

    /// Opens a room as the UI does: `OpenRoom`, then the first history page (the message list
    /// asks for older messages while it has too few rows to scroll). Waits for that page.
    pub async fn open_room(&self, room_id: &str) {
        self.command(EngineCommand::OpenRoom {
            room_id: room_id.into(),
        })
        .await;
        self.command(EngineCommand::LoadOlder {
            room_id: room_id.into(),
        })
        .await;
        self.wait_view("the room's first page", |v| {
            v.messages.iter().any(|m| m.room_id == room_id)
        })
        .await;
    }

    /// Starts from the store at `db` with a `token` the backend refuses; waits for nothing.
    pub fn start_refused(db: &Path, token: &str) -> Herald {
        let (handle, ui, native) = start_client(db, Some(token.to_owned()));
        Herald {
            handle,
            _ui: ui,
            native,
            token: token.to_owned(),
        }
    }

    /// The next native notification, within [`WAIT`].
    pub async fn next_native(&mut self) -> NativeNotification {
        tokio::time::timeout(WAIT, self.native.recv())
            .await
            .expect("a native notification in time")
            .expect("the client is running")
    }

    /// Every native notification shown so far (none waited for).
    pub fn natives_so_far(&mut self) -> Vec<NativeNotification> {
        let mut all = Vec::new();
        while let Ok(n) = self.native.try_recv() {
            all.push(n);
        }
        all
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await.expect("clean shutdown");
    }
}

/// Waits (bounded) until the backend's `/_test/state` for `user` satisfies `pred`.
pub async fn wait_backend(
    b: &PyBackend,
    user: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let st = b.state(user).await;
        if pred(&st) {
            return st;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "backend never got {what}: {st:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
