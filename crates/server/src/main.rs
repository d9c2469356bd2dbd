//! `herald-server`: serve, run the demo, publish a notification, mint a dev token.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use herald_protocol::wire::{
    Audience, Link, NotificationKind, PublishRequest, PublishResponse, User,
};
use herald_server::config::{Database, PasswordCost};
use herald_server::{demo, Config, Server};

#[derive(Parser, Debug)]
#[command(
    name = "herald-server",
    version,
    about = "Herald's reference realtime server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve WebSocket + REST.
    Serve(ServeArgs),
    /// Serve with seeded demo users, rooms and a slow stream of live events.
    Demo(DemoArgs),
    /// Send a notification through a running server's publish API.
    Publish(PublishArgs),
    /// Mint a token for a user id (development).
    Token(TokenArgs),
    /// Set a team up on a running server: users and rooms (the service key's admin API).
    Admin(AdminArgs),
}

#[derive(Args, Debug)]
struct AdminArgs {
    /// Base URL of the server.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8080")]
    server: String,
    #[arg(long, env = "HERALD_SERVICE_KEY", hide_env_values = true)]
    service_key: String,
    #[command(subcommand)]
    what: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create a user; the password is read from the first line of stdin (never an argument,
    /// which other users of the machine can see in the process list).
    AddUser {
        #[arg(long)]
        username: String,
        /// The display name (default: the username).
        #[arg(long)]
        name: Option<String>,
    },
    /// List every user (id, username-as-id, name).
    Users,
    /// Create a room with its members (ids or usernames); each gets `room_created` and a
    /// "You were added" notification.
    AddRoom {
        #[arg(long)]
        name: String,
        /// job, support, general or direct.
        #[arg(long, default_value = "general")]
        kind: String,
        /// Members; repeat or comma-separate.
        #[arg(long = "member", value_delimiter = ',', required = true)]
        members: Vec<String>,
    },
}

#[derive(Args, Debug)]
struct Common {
    /// Address to listen on.
    #[arg(long, env = "HERALD_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// WebSocket ping interval in seconds.
    #[arg(long, default_value_t = 25)]
    ping_secs: u64,
    /// Lifetime of login tokens in seconds.
    #[arg(long, default_value_t = 12 * 3600)]
    token_ttl_secs: u64,
    /// Messages per second one user may send, sustained (socket and REST together).
    #[arg(long, env = "HERALD_SEND_RATE", default_value_t = 10.0)]
    send_rate: f64,
    /// Messages one user may send in a burst above the sustained rate.
    #[arg(long, env = "HERALD_SEND_BURST", default_value_t = 30.0)]
    send_burst: f64,
    /// Redis for fan-out between several server nodes (redis://host:port); without it the
    /// server fans out in-process (one node).
    #[arg(long, env = "HERALD_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// SQLite file, :memory:, or a PostgreSQL URL (postgres://user:password@host/db).
    #[arg(
        long,
        env = "HERALD_DATABASE",
        hide_env_values = true,
        default_value = "herald.db"
    )]
    database: String,
    /// HS256 secret for tokens.
    #[arg(long, env = "HERALD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: String,
    /// Bearer key of POST /api/publish.
    #[arg(long, env = "HERALD_SERVICE_KEY", hide_env_values = true)]
    service_key: String,
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[command(flatten)]
    common: Common,
    /// SQLite file, :memory:, or a PostgreSQL URL (postgres://user:password@host/db).
    #[arg(
        long,
        env = "HERALD_DATABASE",
        hide_env_values = true,
        default_value = "herald-demo.db"
    )]
    database: String,
    /// Average seconds between demo events.
    #[arg(long, default_value_t = 15)]
    tick_secs: u64,
    /// Secret for tokens (default: generated, never printed).
    #[arg(long, env = "HERALD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Service key (default: generated and written to a file only you can read).
    #[arg(long, env = "HERALD_SERVICE_KEY", hide_env_values = true)]
    service_key: Option<String>,
}

#[derive(Args, Debug)]
struct PublishArgs {
    /// Base URL of the server.
    #[arg(long, env = "HERALD_URL", default_value = "http://127.0.0.1:8080")]
    server: String,
    #[arg(long, env = "HERALD_SERVICE_KEY", hide_env_values = true)]
    service_key: String,
    /// Recipients (user ids or usernames); repeat or comma-separate. Omit with --all.
    #[arg(long, value_delimiter = ',')]
    to: Vec<String>,
    /// Send to every user.
    #[arg(long)]
    all: bool,
    /// Notification kind (low_stock, out_of_stock, sale_completed, system_alert, ...).
    #[arg(long, default_value = "system_alert")]
    kind: String,
    #[arg(long)]
    title: String,
    #[arg(long, default_value = "")]
    body: String,
    /// 1 (lowest) to 5 (highest).
    #[arg(long, default_value_t = 3)]
    priority: u8,
    /// Room the notification opens.
    #[arg(long)]
    room: Option<String>,
    /// URL the notification opens.
    #[arg(long)]
    url: Option<String>,
}

#[derive(Args, Debug)]
struct TokenArgs {
    #[arg(long, env = "HERALD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: String,
    /// User id (the demo's ids are the usernames).
    #[arg(long)]
    user: String,
    /// Display name (default: the id).
    #[arg(long)]
    name: Option<String>,
    #[arg(long, default_value_t = 12 * 3600)]
    ttl_secs: u64,
}

/// Where `demo` keeps a service key it generated: beside a SQLite file database, else in the
/// temp dir.
fn demo_key_path(database: &str) -> std::path::PathBuf {
    match Database::parse(database) {
        Database::SqliteFile(db) => db.with_extension("service-key"),
        _ => std::env::temp_dir().join(format!("herald-demo-{}.service-key", std::process::id())),
    }
}

/// Writes `secret` to `path`, readable and writable by the owner only (0600 on Unix).
fn write_private(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // `mode` applies only to a new file; an old one may have been readable by others.
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(secret.as_bytes())
}

fn random_secret() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

fn config(common: &Common, database: &str, jwt_secret: String, service_key: String) -> Config {
    let mut c = Config::new(Database::parse(database), jwt_secret, service_key);
    c.bind = common.bind;
    c.ping_interval = Duration::from_secs(common.ping_secs.max(1));
    c.token_ttl = Duration::from_secs(common.token_ttl_secs.max(1));
    // Non-finite or negative values would disable sending or the limit; keep them sane.
    c.send_rate_per_sec = if common.send_rate.is_finite() {
        common.send_rate.max(0.1)
    } else {
        10.0
    };
    c.send_burst = if common.send_burst.is_finite() {
        common.send_burst.max(1.0)
    } else {
        30.0
    };
    c.redis_url = common.redis_url.clone().filter(|u| !u.trim().is_empty());
    c
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn serve(
    config: Config,
    demo_tick: Option<Duration>,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let server = Server::bind(config.clone())
        .await
        .with_context(|| format!("starting on {}", config.bind))?;
    let domain = server.domain();
    if demo_tick.is_some() {
        demo::seed(&domain).await.context("seeding the demo data")?;
    }
    let running = server.start();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let ticker = demo_tick.map(|every| demo::spawn_ticker(domain.clone(), every, stop_rx));
    tracing::info!(addr = %running.addr, "herald-server listening");
    if let Some(banner) = banner {
        println!("{}", banner.replace("{addr}", &running.addr.to_string()));
    }
    shutdown_signal().await;
    tracing::info!("shutting down: closing sockets with 1001");
    let _ = stop_tx.send(true);
    if let Some(t) = ticker {
        let _ = t.await;
    }
    running.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(a) => {
            if a.jwt_secret.len() < 16 {
                bail!("--jwt-secret / HERALD_JWT_SECRET must be at least 16 characters");
            }
            serve(
                config(&a.common, &a.database, a.jwt_secret, a.service_key),
                None,
                None,
            )
            .await
        }
        Command::Demo(a) => {
            let jwt_given = a.jwt_secret.is_some();
            let jwt = a.jwt_secret.unwrap_or_else(random_secret);
            // The banner never shows a secret (it ends up in terminals and log files, and with
            // the JWT secret anyone can mint a token for any user). A generated service key is
            // written to a file only its owner can read, and the banner names the file.
            let (key, key_line) = match a.service_key {
                Some(key) => (
                    key,
                    "Service key:     from --service-key / HERALD_SERVICE_KEY".to_owned(),
                ),
                None => {
                    let key = random_secret();
                    let path = demo_key_path(&a.database);
                    write_private(&path, &key).with_context(|| {
                        format!("writing the service key to {}", path.display())
                    })?;
                    let line = format!(
                        "Service key:     generated, in {} (readable by you only)",
                        path.display()
                    );
                    (key, line)
                }
            };
            let jwt_line = if jwt_given {
                "JWT secret:      from --jwt-secret / HERALD_JWT_SECRET"
            } else {
                "JWT secret:      generated for this run (tokens end when the demo stops)"
            };
            let mut c = config(&a.common, &a.database, jwt, key);
            c.password_cost = PasswordCost::RECOMMENDED;
            let users: Vec<&str> = demo::DEMO_USERS.iter().map(|(u, _)| *u).collect();
            let banner = format!(
                "\nHerald demo on http://{{addr}} (WebSocket ws://{{addr}}/ws)\n\
                 Log in as {} with password \"{}\"\n\
                 {jwt_line}\n{key_line}\n\
                 Publish: herald-server publish --server http://{{addr}} --service-key \"$HERALD_SERVICE_KEY\" --all --kind low_stock --title \"Low stock: grout\"\n\
                 Database: {}   (Ctrl-C to stop)\n",
                users.join(" / "),
                demo::DEMO_PASSWORD,
                Database::parse(&a.database).redacted()
            );
            serve(
                c,
                Some(Duration::from_secs(a.tick_secs.max(1))),
                Some(banner),
            )
            .await
        }
        Command::Publish(a) => publish(a).await,
        Command::Admin(a) => admin(a).await,
        Command::Token(a) => {
            let user = User {
                name: a.name.unwrap_or_else(|| a.user.clone()),
                id: a.user,
            };
            let keys = herald_server::auth::TokenKeys::new(&a.jwt_secret);
            println!(
                "{}",
                keys.mint(
                    &user,
                    time::OffsetDateTime::now_utc(),
                    Duration::from_secs(a.ttl_secs)
                )?
            );
            Ok(())
        }
    }
}

async fn admin(a: AdminArgs) -> anyhow::Result<()> {
    let base = a.server.trim_end_matches('/').to_owned();
    let client = reqwest::Client::new();
    let (method, path, body) = match &a.what {
        AdminCommand::AddUser { username, name } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let body = serde_json::json!({
                "username": username,
                "name": name.clone().unwrap_or_else(|| username.clone()),
                "password": password,
            });
            (reqwest::Method::POST, "/api/admin/users", Some(body))
        }
        AdminCommand::Users => (reqwest::Method::GET, "/api/admin/users", None),
        AdminCommand::AddRoom {
            name,
            kind,
            members,
        } => {
            let body = serde_json::json!({ "name": name, "kind": kind, "members": members });
            (reqwest::Method::POST, "/api/admin/rooms", Some(body))
        }
    };
    let url = format!("{base}{path}");
    let mut req = client.request(method, &url).bearer_auth(&a.service_key);
    if let Some(body) = &body {
        req = req.json(body);
    }
    let res = req
        .send()
        .await
        .with_context(|| format!("cannot reach {url}; is the server running?"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        let why = serde_json::from_str::<herald_protocol::wire::ErrorBody>(&text)
            .map(|e| e.message)
            .unwrap_or(text);
        bail!("refused ({status}): {why}");
    }
    match &a.what {
        AdminCommand::AddUser { .. } => {
            let user: User = serde_json::from_str(&text)?;
            println!("created user {} ({})", user.id, user.name);
        }
        AdminCommand::Users => {
            let users: Vec<User> = serde_json::from_str(&text)?;
            for u in users {
                println!("{}\t{}", u.id, u.name);
            }
        }
        AdminCommand::AddRoom { .. } => {
            let room: herald_protocol::wire::Room = serde_json::from_str(&text)?;
            println!(
                "created room {} ({}) with {} member(s)",
                room.id,
                room.name,
                room.members.len()
            );
        }
    }
    Ok(())
}

async fn publish(a: PublishArgs) -> anyhow::Result<()> {
    let to = match (a.all, a.to.is_empty()) {
        (true, _) => Audience::All,
        (false, false) => Audience::Users(a.to),
        (false, true) => bail!("say who it is for: --to alice,bob or --all"),
    };
    let link = (a.room.is_some() || a.url.is_some()).then_some(Link {
        room_id: a.room,
        url: a.url,
    });
    let req = PublishRequest {
        to,
        kind: NotificationKind::from(a.kind),
        title: a.title,
        body: a.body,
        priority: a.priority,
        link,
        meta: Default::default(),
    };
    let url = format!("{}/api/publish", a.server.trim_end_matches('/'));
    let res = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&a.service_key)
        .json(&req)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}; is the server running?"))?;
    let status = res.status();
    if !status.is_success() {
        bail!(
            "publish refused ({status}): {}",
            res.text().await.unwrap_or_default()
        );
    }
    let body: PublishResponse = res.json().await?;
    println!("published {} notification(s)", body.notification_ids.len());
    Ok(())
}
