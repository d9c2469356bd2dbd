//! `herald-load`: a bounded, loopback-only load harness for herald-server.
//!
//! It starts the server as a child process (this same binary, `child` subcommand) on a fresh
//! SQLite file, so the server's RSS can be read from `/proc` without the clients' memory, then:
//! 1. `idle`: opens N idle sockets (hello, resume to the head) from several 127.0.0.x source
//!    addresses and reports the server's RSS growth per connection;
//! 2. `fanout`: one room with M members each holding a socket; K messages are sent and the tool
//!    counts deliveries per second until every member has every message;
//! 3. `latency`: publishes to one user at a steady rate over HTTP and measures publish ->
//!    delivered on that user's socket (p50/p99).
//!
//! Every phase is bounded in count and time and talks only to 127.0.0.0/8.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use herald_protocol::wire::{
    Audience, ClientFrame, Hello, NotificationKind, PublishRequest, Req, RoomKind, SendMessage,
    ServerFrame, StreamPosition, User,
};
use herald_server::auth::TokenKeys;
use herald_server::config::{Database, PasswordCost};
use herald_server::{Config, Server};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "herald-load-secret-0123456789";
const SERVICE_KEY: &str = "herald-load-service-key";

#[derive(Parser, Debug)]
#[command(
    name = "herald-load",
    about = "Loopback load harness for herald-server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Idle connections to open.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Source addresses 127.0.0.1..=127.0.0.N to spread connections over.
    #[arg(long, default_value_t = 4)]
    sources: u8,
    /// Members (sockets) in the fan-out room.
    #[arg(long, default_value_t = 1000)]
    fanout_members: usize,
    /// Messages sent in the fan-out phase.
    #[arg(long, default_value_t = 50)]
    fanout_messages: usize,
    /// Publishes per second in the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Phases to run, comma-separated: store, idle, fanout, latency (`store` times the durable
    /// per-member append alone, in this process, without sockets).
    #[arg(long, value_delimiter = ',', default_value = "idle,fanout,latency")]
    phases: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// (internal) run the server under test and print its address.
    Child { db: String, members: usize },
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("bad VmRSS")?
        .parse()?)
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the `(comm)`, which may contain spaces: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').context("bad stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).context("utime")?.parse::<f64>()? + f.get(12).context("stime")?.parse::<f64>()?;
    Ok(ticks / 100.0)
}

async fn child(db: String, members: usize) -> anyhow::Result<()> {
    let mut config = Config::new(Database::parse(&db), SECRET.into(), SERVICE_KEY.into());
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.password_cost = PasswordCost::CHEAP;
    config.send_rate_per_sec = 1e6;
    config.send_burst = 1e6;
    config.outbound_queue = 4096;
    let server = Server::bind(config).await?;
    let domain = server.domain();
    let mut ids = Vec::with_capacity(members);
    for i in 0..members {
        let id = format!("m{i}");
        domain.ensure_user(&id, &id, &id, "x").await?;
        ids.push(id);
    }
    domain
        .ensure_user("target", "target", "Target", "x")
        .await?;
    let room = domain
        .create_room("fanout", RoomKind::General, &ids)
        .await?;
    let running = server.start();
    println!("{} {}", running.addr, room.id);
    // Runs until the parent kills it (bounded by the parent's phases).
    tokio::time::sleep(Duration::from_secs(3600)).await;
    running.shutdown().await;
    Ok(())
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn open(addr: SocketAddr, source: Ipv4Addr, token: &str) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(addr).await?;
    let mut req = format!("ws://{addr}/ws").into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(ws)
}

async fn hello(ws: &mut Ws, resume: Option<StreamPosition>) -> anyhow::Result<StreamPosition> {
    let frame = ClientFrame::Hello(Hello {
        protocol: 1,
        resume,
    });
    ws.send(Message::text(serde_json::to_string(&frame)?))
        .await?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await?
            .context("closed")??;
        if let Message::Text(t) = msg {
            if let ServerFrame::Welcome(w) = serde_json::from_str(&t)? {
                if !w.recovered {
                    // The snapshot follows.
                    tokio::time::timeout(Duration::from_secs(30), ws.next()).await?;
                }
                return Ok(StreamPosition {
                    epoch: w.epoch,
                    seq: w.seq,
                });
            }
        }
    }
}

fn token(keys: &TokenKeys, id: &str) -> anyhow::Result<String> {
    let user = User {
        id: id.into(),
        name: id.into(),
    };
    Ok(keys.mint(
        &user,
        time::OffsetDateTime::now_utc(),
        Duration::from_secs(3600),
    )?)
}

fn source(i: usize, n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(n.max(1))) as u8)
}

async fn idle_phase(addr: SocketAddr, pid: u32, cli: &Cli, keys: &TokenKeys) -> anyhow::Result<()> {
    let before = rss_kib(pid)?;
    let tok = token(keys, "idle")?;
    let mut first = open(addr, source(0, cli.sources), &tok).await?;
    let pos = hello(&mut first, None).await?;
    let mut sockets = vec![first];
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    while sockets.len() < cli.idle && Instant::now() < deadline {
        let batch = (cli.idle - sockets.len()).min(200);
        let mut tasks = Vec::with_capacity(batch);
        for j in 0..batch {
            let (tok, pos) = (tok.clone(), pos.clone());
            let src = source(sockets.len() + j, cli.sources);
            tasks.push(tokio::spawn(async move {
                let mut ws = open(addr, src, &tok).await?;
                hello(&mut ws, Some(pos)).await?;
                anyhow::Ok(ws)
            }));
        }
        for t in tasks {
            sockets.push(t.await??);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid)?;
    let n = sockets.len() as u64;
    println!(
        "idle: {n} connections in {:.1}s; server RSS {before} KiB -> {after} KiB = {:.2} KiB per connection",
        started.elapsed().as_secs_f64(),
        (after.saturating_sub(before)) as f64 / n as f64
    );
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

async fn fanout_phase(
    addr: SocketAddr,
    pid: u32,
    room: &str,
    cli: &Cli,
    keys: &TokenKeys,
) -> anyhow::Result<()> {
    let m = cli.fanout_members;
    let k = cli.fanout_messages as u64;
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::with_capacity(m);
    let mut sender = None;
    for i in 0..m {
        let mut ws = open(
            addr,
            source(i, cli.sources),
            &token(keys, &format!("m{i}"))?,
        )
        .await?;
        hello(&mut ws, None).await?;
        if i == 0 {
            sender = Some(ws);
            continue;
        }
        let delivered = delivered.clone();
        readers.push(tokio::spawn(async move {
            let mut got = 0;
            while got < k {
                match tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) if t.contains("\"message_created\"") => {
                        got += 1;
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
        }));
    }
    let Some(mut sender) = sender else {
        bail!("no members")
    };
    println!("fanout: {m} members connected; sending {k} messages");
    let cpu_before = cpu_secs(pid)?;
    let started = Instant::now();
    for i in 0..k {
        let frame = ClientFrame::SendMessage(Req {
            id: i.to_string(),
            params: SendMessage {
                room_id: room.into(),
                client_msg_id: format!("f{i}"),
                text: format!("fan-out {i}"),
                reply_to: None,
            },
        });
        sender
            .send(Message::text(serde_json::to_string(&frame)?))
            .await?;
    }
    for r in readers {
        let _ = r.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid)? - cpu_before;
    let n = delivered.load(Ordering::Relaxed);
    println!(
        "fanout: {k} messages x {} receivers = {n} deliveries in {secs:.2}s = {:.0} deliveries/s; \
         server CPU {cpu:.2}s = {:.0} deliveries per server CPU-second",
        m - 1,
        n as f64 / secs,
        n as f64 / cpu.max(0.01)
    );
    Ok(())
}

async fn store_phase(cli: &Cli) -> anyhow::Result<()> {
    use herald_server::store::{NewMessage, NewUser, SqliteStore, Store};
    let dir = tempfile_dir()?.join("store");
    std::fs::create_dir_all(&dir)?;
    let store = SqliteStore::open(&Database::SqliteFile(dir.join("store.db"))).await?;
    let mut ids = Vec::with_capacity(cli.fanout_members);
    for i in 0..cli.fanout_members {
        let id = format!("m{i}");
        store
            .ensure_user(&NewUser {
                id: id.clone(),
                username: id.clone(),
                name: id.clone(),
                password_hash: String::new(),
            })
            .await?;
        ids.push(id);
    }
    let (room, _) = store.create_room("store", RoomKind::General, &ids).await?;
    let started = Instant::now();
    let mut appended = 0;
    for i in 0..cli.fanout_messages {
        let msg = NewMessage {
            room_id: room.id.clone(),
            client_msg_id: Some(format!("s{i}")),
            text: format!("store phase message {i}"),
            reply_to: None,
        };
        appended += store.send_message("m0", &msg).await?.events.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "store: {} messages x {} members = {appended} durable appends in {secs:.2}s = {:.0} appends/s ({:.1} ms per message)",
        cli.fanout_messages,
        ids.len(),
        appended as f64 / secs,
        secs * 1e3 / cli.fanout_messages.max(1) as f64
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn latency_phase(addr: SocketAddr, cli: &Cli, keys: &TokenKeys) -> anyhow::Result<()> {
    let mut ws = open(addr, source(0, 1), &token(keys, "target")?).await?;
    hello(&mut ws, None).await?;
    let total = cli.rate * cli.seconds;
    let origin = Instant::now();
    let reader = tokio::spawn(async move {
        let mut lat = Vec::with_capacity(total as usize);
        while (lat.len() as u64) < total {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    if let Ok(ServerFrame::Event(e)) = serde_json::from_str::<ServerFrame>(&t) {
                        if let herald_protocol::wire::Event::NotificationCreated { notification } =
                            e.event
                        {
                            if let Some(sent) =
                                notification.meta.get("t_us").and_then(|v| v.as_u64())
                            {
                                let now = origin.elapsed().as_micros() as u64;
                                lat.push(now.saturating_sub(sent));
                            }
                        }
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => break,
            }
        }
        lat
    });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/publish");
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / cli.rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut inflight = Vec::with_capacity(total as usize);
    for _ in 0..total {
        tick.tick().await;
        let mut meta = serde_json::Map::new();
        meta.insert("t_us".into(), (origin.elapsed().as_micros() as u64).into());
        let req = PublishRequest {
            to: Audience::Users(vec!["target".into()]),
            kind: NotificationKind::SaleCompleted,
            title: "load".into(),
            body: String::new(),
            priority: 3,
            link: None,
            meta,
        };
        let (client, url) = (client.clone(), url.clone());
        inflight.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(SERVICE_KEY)
                .json(&req)
                .send()
                .await
        }));
    }
    for f in inflight {
        f.await??.error_for_status()?;
    }
    let mut lat = reader.await?;
    lat.sort_unstable();
    if lat.is_empty() {
        bail!("no deliveries measured");
    }
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!(
        "latency: {} publishes at {}/s: publish -> delivered p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        cli.rate,
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Cmd::Child { db, members }) = cli.command {
        return child(db, members).await;
    }
    if cli.phases.iter().all(|p| p == "store") {
        return store_phase(&cli).await;
    }
    let dir = tempfile_dir()?;
    let db = dir.join("load.db");
    let mut proc = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            "child",
            &db.to_string_lossy(),
            &cli.fanout_members.to_string(),
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = proc.id().context("child pid")?;
    let mut lines = BufReader::new(proc.stdout.take().context("child stdout")?).lines();
    let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
        .await??
        .context("child exited")?;
    let (addr, room) = line.split_once(' ').context("bad child line")?;
    let addr: SocketAddr = addr.parse()?;
    if !addr.ip().is_loopback() {
        bail!("refusing a non-loopback target");
    }
    println!("server pid {pid} on {addr}");
    let keys = TokenKeys::new(SECRET);
    let run = |phase: &str| cli.phases.iter().any(|p| p == phase);
    let result = async {
        if run("store") {
            store_phase(&cli).await?;
        }
        if run("idle") {
            idle_phase(addr, pid, &cli, &keys).await?;
        }
        if run("fanout") {
            fanout_phase(addr, pid, room, &cli, &keys).await?;
        }
        if run("latency") {
            latency_phase(addr, &cli, &keys).await?;
        }
        anyhow::Ok(())
    }
    .await;
    let _ = proc.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("herald-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
