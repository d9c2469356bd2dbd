//! herald-cli: the client engine, driver and store without a window — for scripting, debugging a
//! server, and as a test client. A profile directory holds the SQLite store (`herald.db`) and
//! the token (`token`, mode 0600).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use herald_client::store::{Changes, SqliteStore, Store, StoredSession};
use herald_client::{Client, ClientConfig, ClientHandle};
use herald_protocol::ipc::{EngineCommand, UiReply, ViewState};

#[derive(Parser, Debug)]
#[command(name = "herald-cli", about = "Herald client from the command line")]
struct Cli {
    /// Profile directory (store and token).
    #[arg(long, env = "HERALD_PROFILE", default_value = ".herald-profile")]
    profile: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Sign in and keep the token in the profile.
    Login {
        #[arg(long)]
        server: String,
        /// The backend: `herald` (herald-server, the default), a built-in profile (`seed-001`,
        /// `ventree`, `artchive`, `ecleaner`, `ecleaner-asis`) or the path of a profile file (docs/backends.md).
        #[arg(long, default_value = "herald")]
        backend: String,
        #[arg(long, required_unless_present = "token", default_value = "")]
        username: String,
        #[arg(
            long,
            env = "HERALD_PASSWORD",
            required_unless_present = "token",
            default_value = ""
        )]
        password: String,
        /// A token pasted from the backend's web app instead of a password (profiles with
        /// `[login.paste]`: backends behind a web SSO sign-in).
        #[arg(long, env = "HERALD_TOKEN")]
        token: Option<String>,
    },
    /// Print every UI event as one JSON line.
    Tail {
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
        /// Dump the stored model as JSON on exit.
        #[arg(long)]
        state: bool,
    },
    /// Send a message and wait until the server stored it.
    Send {
        #[arg(long)]
        room: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
    /// Print the rooms (after syncing) as JSON lines.
    Rooms {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Print the notifications (after syncing) as JSON lines.
    Notifications {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

fn token_path(profile: &Path) -> PathBuf {
    profile.join("token")
}

fn write_token(profile: &Path, token: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let path = token_path(profile);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(())
}

fn open_store(profile: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(profile)
        .with_context(|| format!("cannot create profile {}", profile.display()))?;
    Ok(SqliteStore::open(profile.join("herald.db"))?)
}

fn start(profile: &Path) -> anyhow::Result<herald_client::driver::Started> {
    let store = open_store(profile)?;
    let token = std::fs::read_to_string(token_path(profile))
        .map(|t| t.trim().to_owned())
        .context("not signed in: run `herald-cli login` first")?;
    if store.load(0)?.session.is_none() {
        bail!(
            "no session in {}: run `herald-cli login` first",
            profile.display()
        );
    }
    // A renewed token replaces the file's, so the next run still signs in.
    let keep = profile.to_path_buf();
    Ok(Client::start(
        ClientConfig {
            token: Some(token),
            on_token_renewed: Some(herald_client::TokenSink(std::sync::Arc::new(
                move |token: &str| {
                    if let Err(e) = write_token(&keep, token) {
                        tracing::warn!(error = %e, "could not keep the renewed token");
                    }
                },
            ))),
            ..Default::default()
        },
        store,
    )?)
}

async fn wait_live(handle: &ClientHandle, seconds: u64) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if handle.debug_state().await?.live {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("could not sync with the server within {seconds} s; check the server and your token");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn view_state(handle: &ClientHandle) -> anyhow::Result<ViewState> {
    match handle.command(EngineCommand::GetViewState).await? {
        UiReply::ViewState(v) => Ok(*v),
        other => bail!("unexpected reply {other:?}"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Login {
            server,
            backend,
            username,
            password,
            token,
        } => {
            let mut store = open_store(&cli.profile)?;
            let backend = (backend != herald_client::backend::HERALD).then_some(backend);
            let resp = match (&backend, token) {
                (None, Some(_)) => anyhow::bail!(
                    "herald-server is signed in to with --username and --password; --token is for --backend profiles"
                ),
                (None, None) => herald_client::login::login(&server, &username, &password).await?,
                (Some(b), token) => {
                    let (profile, _) = herald_client::backend::Profile::resolve(b)?;
                    match token {
                        Some(t) => {
                            herald_client::backend::http::login_with_token(&profile, &server, &t)
                                .await?
                        }
                        None => {
                            herald_client::backend::http::login(
                                &profile, &server, &username, &password,
                            )
                            .await?
                        }
                    }
                }
            };
            write_token(&cli.profile, &resp.token)?;
            // A profile file is remembered by its absolute path: later runs may start elsewhere.
            let backend = backend.map(|b| match std::fs::canonicalize(&b) {
                Ok(p)
                    if !herald_client::backend::profile::BUILTIN
                        .iter()
                        .any(|(n, _)| *n == b) =>
                {
                    p.display().to_string()
                }
                _ => b,
            });
            store.apply(&Changes {
                session: Some(Some(StoredSession {
                    server_url: server,
                    user: resp.user.clone(),
                    backend,
                })),
                ..Default::default()
            })?;
            println!("{}", serde_json::to_string(&resp.user)?);
        }
        Cmd::Tail { seconds, state } => {
            let (handle, mut ui, mut native) = start(&cli.profile)?;
            let stop = async {
                match seconds {
                    Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            };
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    b = ui.recv() => match b {
                        Some(b) => for e in b.events { println!("{}", serde_json::to_string(&e)?) },
                        None => break,
                    },
                    n = native.recv() => if let Some(n) = n {
                        println!("{}", serde_json::json!({"event": "native_notification", "notification": n}));
                    },
                }
            }
            handle.shutdown().await?;
            if state {
                let store = open_store(&cli.profile)?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&store.load(usize::MAX >> 1)?)?
                );
            }
        }
        Cmd::Send {
            room,
            text,
            seconds,
        } => {
            let (handle, _ui, _n) = start(&cli.profile)?;
            handle
                .command(EngineCommand::SendMessage {
                    room_id: room,
                    text,
                    reply_to: None,
                })
                .await?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
            while handle.debug_state().await?.outbox > 0 {
                if tokio::time::Instant::now() >= deadline {
                    handle.shutdown().await?;
                    bail!("not confirmed within {seconds} s; it stays in the outbox and is sent on the next run");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            handle.shutdown().await?;
            println!("sent");
        }
        Cmd::Rooms { seconds } => {
            let (handle, _ui, _n) = start(&cli.profile)?;
            wait_live(&handle, seconds).await?;
            for r in view_state(&handle).await?.rooms {
                println!("{}", serde_json::to_string(&r)?);
            }
            handle.shutdown().await?;
        }
        Cmd::Notifications { seconds } => {
            let (handle, _ui, _n) = start(&cli.profile)?;
            wait_live(&handle, seconds).await?;
            for n in view_state(&handle).await?.notifications {
                println!("{}", serde_json::to_string(&n)?);
            }
            handle.shutdown().await?;
        }
    }
    Ok(())
}
