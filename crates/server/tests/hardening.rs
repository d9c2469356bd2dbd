//! A hostile or merely heavy client on loopback: sign-in guessing, write floods and absurd
//! timestamps are refused with a code (and a retry hint where waiting helps), never absorbed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use herald_protocol::wire::{
    Audience, ClientFrame, Empty, ErrorBody, ErrorCode, LoginRequest, NotificationKind, Outcome,
    PublishRequest, Req, SnoozeNotification,
};

async fn login_status(
    addr: std::net::SocketAddr,
    user: &str,
    pw: &str,
) -> (u16, Option<String>, Option<ErrorBody>) {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/login"))
        .json(&LoginRequest {
            username: user.into(),
            password: pw.into(),
        })
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = if status == 200 {
        None
    } else {
        Some(res.json::<ErrorBody>().await.unwrap())
    };
    (status, retry_after, body)
}

#[tokio::test]
async fn repeated_wrong_passwords_back_off_with_rate_limited_and_retry_after() {
    let w = world_with(|c| {
        c.login.free_failures_per_user = 3;
        c.login.first_wait = Duration::from_secs(2);
    })
    .await;
    let addr = w.server.addr;
    for _ in 0..3 {
        assert_eq!(login_status(addr, "alice", "guess").await.0, 401);
    }
    // Now even the right password waits: a guesser cannot tell a hit during the backoff.
    let (status, retry_after, body) = login_status(addr, "alice", PW).await;
    assert_eq!(status, 429);
    assert_eq!(retry_after.as_deref(), Some("2"));
    let body = body.unwrap();
    assert_eq!(body.code, ErrorCode::RateLimited);
    assert!(body.retry_after_ms.is_some_and(|ms| ms > 0 && ms <= 2000));
    // Other accounts are not locked out by alice's guesser (free per-address budget left).
    assert_eq!(login_status(addr, "bob", PW).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        login_status(addr, "alice", PW).await.0,
        200,
        "after the wait"
    );
}

#[tokio::test]
async fn an_unknown_username_costs_a_password_check_and_answers_like_a_wrong_password() {
    let w = world().await;
    let counters = &w.server.domain.login_guard.counters;
    let before = counters.checks.load(Ordering::Relaxed);
    let (unknown, _, unknown_body) = login_status(w.server.addr, "mallory", "x").await;
    let (wrong, _, wrong_body) = login_status(w.server.addr, "alice", "x").await;
    assert_eq!((unknown, wrong), (401, 401));
    assert_eq!(
        unknown_body.unwrap().message,
        wrong_body.unwrap().message,
        "nothing tells the two apart"
    );
    assert_eq!(counters.checks.load(Ordering::Relaxed) - before, 2);
}

#[tokio::test]
async fn concurrent_wrong_logins_hash_at_most_the_configured_number_at_once() {
    let w = world_with(|c| c.login.concurrent_checks = 2).await;
    let addr = w.server.addr;
    let attempts: Vec<_> = (0..12)
        .map(|i| tokio::spawn(async move { login_status(addr, &format!("u{i}"), "x").await.0 }))
        .collect();
    for a in attempts {
        assert_eq!(a.await.unwrap(), 401);
    }
    let peak = w
        .server
        .domain
        .login_guard
        .counters
        .peak_concurrent
        .load(Ordering::Relaxed);
    assert!((1..=2).contains(&peak), "peak {peak}");
}

#[tokio::test]
async fn a_read_all_flood_is_refused_after_the_burst_and_appends_no_events() {
    let w = world_with(|c| {
        c.write_rate_per_sec = 0.5;
        c.write_burst = 3.0;
    })
    .await;
    let mut ws = connect(&w, &w.alice).await;
    let mut ok = 0;
    let mut limited = Vec::new();
    for i in 0..10 {
        let r = ws
            .request(&ClientFrame::MarkAllNotificationsRead(Req {
                id: format!("r{i}"),
                params: Empty {},
            }))
            .await
            .unwrap();
        match r.outcome {
            Outcome::Ok(_) => ok += 1,
            Outcome::Error(e) => limited.push(e),
        }
    }
    assert_eq!(ok, 3, "the burst");
    assert_eq!(limited.len(), 7);
    assert!(limited
        .iter()
        .all(|e| e.code == ErrorCode::RateLimited && e.retry_after_ms.is_some()));
    // The same budget covers REST.
    let res = reqwest::Client::new()
        .post(format!(
            "http://{}/api/notifications/read-all",
            w.server.addr
        ))
        .bearer_auth(&w.alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_snooze_until_1970_or_year_9999_is_bad_request_and_changes_nothing() {
    let w = world().await;
    let published = w
        .server
        .domain
        .publish_notification(PublishRequest {
            to: Audience::Users(vec!["alice".into()]),
            kind: NotificationKind::SystemAlert,
            title: "Disk".into(),
            body: String::new(),
            priority: 3,
            link: None,
            meta: Default::default(),
        })
        .await
        .unwrap();
    let id = published.notification_ids[0].clone();
    let mut ws = connect(&w, &w.alice).await;
    for (i, until) in [
        time::macros::datetime!(1970-01-01 0:00 UTC),
        time::macros::datetime!(9999-12-31 0:00 UTC),
    ]
    .into_iter()
    .enumerate()
    {
        let r = ws
            .request(&ClientFrame::SnoozeNotification(Req {
                id: format!("s{i}"),
                params: SnoozeNotification {
                    notification_id: id.clone(),
                    until,
                },
            }))
            .await
            .unwrap();
        match r.outcome {
            Outcome::Error(e) => assert_eq!(e.code, ErrorCode::BadRequest, "{e:?}"),
            other => panic!("accepted {until}: {other:?}"),
        }
    }
    let page = w
        .server
        .domain
        .notifications(&w.alice.user, None, 10, false)
        .await
        .unwrap();
    assert!(page.items[0].snoozed_until.is_none());
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// Single-threaded runtime: the subscriber set for this thread sees every server task.
#[tokio::test(flavor = "current_thread")]
async fn a_token_in_the_socket_url_never_reaches_the_log_even_at_trace_level() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let w = world().await;
    let token = w.alice.token.clone();
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?token={token}", w.server.addr))
            .await
            .unwrap();
    ws.close(None).await.unwrap();
    let _ = reqwest::Client::new()
        .get(format!("http://{}/api/rooms?token={token}", w.server.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("/ws"), "the request is logged: {log}");
    assert!(!log.contains(&token), "the token leaked into the log");
}

#[test]
fn the_demo_banner_shows_no_secret_and_keeps_a_generated_service_key_private() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let jwt = "a-known-jwt-secret-of-some-length";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_herald-server"))
        .args(["demo", "--bind", "127.0.0.1:0", "--database"])
        .arg(&db)
        .env("HERALD_JWT_SECRET", jwt)
        .env_remove("HERALD_SERVICE_KEY")
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            if line.starts_with("Database:") {
                break;
            }
        }
        let _ = tx.send(text);
    });
    let banner = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let banner = banner.expect("no banner within 60 s");
    let key_file = db.with_extension("service-key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(key.len() >= 16);
    assert!(!banner.contains(jwt), "{banner}");
    assert!(!banner.contains(&key), "{banner}");
    assert!(banner.contains(&key_file.display().to_string()), "{banner}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test]
async fn a_user_whose_state_is_several_mib_still_syncs_and_pages_everything() {
    use herald_protocol::wire::{LoadHistory, LoadHistoryOk, MAX_MESSAGE_CHARS};
    use herald_server::testing::WsClient;
    let w = world().await;
    let long = "猫".repeat(MAX_MESSAGE_CHARS);
    // 100 bell items and 100 messages of 4,000 CJK characters: ~2.4 MB of JSON in all, each
    // half over the old 1 MiB write limit on its own.
    for i in 0..100 {
        w.server
            .domain
            .publish_notification(PublishRequest {
                to: Audience::Users(vec!["alice".into()]),
                kind: NotificationKind::LowStock,
                title: format!("Low stock {i}"),
                body: "猫".repeat(4000),
                priority: 3,
                link: None,
                meta: Default::default(),
            })
            .await
            .unwrap();
        w.server
            .domain
            .send_message(&w.bob.user, &w.room_id, Some(format!("c{i}")), &long, None)
            .await
            .unwrap();
    }
    let mut ws = WsClient::connect(w.server.addr, &w.alice.token)
        .await
        .unwrap();
    let (_, snapshot) = ws.hello(None).await.expect("the first sync completes");
    let snapshot = snapshot.unwrap();
    let kept = snapshot.notifications.items.len();
    assert!(kept > 0 && kept < 100, "kept {kept}");
    assert_eq!(
        snapshot.notifications.unread, 100,
        "the count is still the truth"
    );
    assert!(serde_json::to_vec(&snapshot).unwrap().len() <= 512 * 1024);
    // History pages stay within the budget and page through every message.
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for i in 0..20 {
        let r = ws
            .request(&ClientFrame::LoadHistory(Req {
                id: format!("h{i}"),
                params: LoadHistory {
                    room_id: w.room_id.clone(),
                    before: before.clone(),
                    limit: 100,
                },
            }))
            .await
            .unwrap();
        let page: LoadHistoryOk = r.into_result().unwrap();
        assert!(!page.messages.is_empty());
        before = Some(page.messages[0].id.clone());
        seen.extend(page.messages.into_iter().map(|m| m.id));
        if !page.has_more {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 100, "every message, once");
}

#[tokio::test]
async fn sockets_past_the_per_user_and_total_caps_are_refused_with_the_reason() {
    use herald_server::testing::WsClient;
    let w = world_with(|c| {
        c.max_sockets_per_user = 2;
        c.max_sockets = 3;
    })
    .await;
    let addr = w.server.addr;
    let a1 = WsClient::connect(addr, &w.alice.token).await.unwrap();
    let _a2 = WsClient::connect(addr, &w.alice.token).await.unwrap();
    let refused = WsClient::connect(addr, &w.alice.token).await.unwrap_err();
    assert!(format!("{refused:#}").contains("429"), "{refused:#}");
    // Another user still gets in, up to the server's total.
    let _b1 = WsClient::connect(addr, &w.bob.token).await.unwrap();
    let full = WsClient::connect(addr, &w.carol.token).await.unwrap_err();
    assert!(format!("{full:#}").contains("429"), "{full:#}");
    // A closed socket frees its place.
    drop(a1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match WsClient::connect(addr, &w.carol.token).await {
            Ok(_) => break,
            Err(e) if std::time::Instant::now() > deadline => panic!("never admitted: {e:#}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Reads until the server closes the connection; the time it took.
async fn closed_after(stream: &mut tokio::net::TcpStream) -> Duration {
    use tokio::io::AsyncReadExt;
    let t0 = std::time::Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return t0.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server held the connection for 20 s"),
        }
    }
}

#[tokio::test]
async fn a_slowloris_request_and_a_silent_connection_are_closed_at_their_deadlines() {
    use tokio::io::AsyncWriteExt;
    let w = world_with(|c| {
        c.conn.header_timeout = Duration::from_secs(1);
        c.conn.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = w.server.addr;
    // Headers trickled in a byte every 300 ms never complete within the header deadline.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let trickle = tokio::spawn(async move {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\n".iter() {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        slow
    });
    // A connection that never sends a byte.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(closed_after(&mut silent).await < Duration::from_secs(5));
    let mut slow = trickle.await.unwrap();
    assert!(closed_after(&mut slow).await < Duration::from_secs(5));
    // A keep-alive connection that made one request and then idles is closed too.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_after(&mut idle).await < Duration::from_secs(6));
    // While an ordinary client is served as before.
    assert_eq!(login_status(addr, "alice", PW).await.0, 200);
}

#[tokio::test]
async fn a_renewed_token_keeps_the_socket_open_past_the_first_tokens_expiry() {
    use herald_protocol::wire::{RenewTokenOk, StreamPosition};
    use herald_server::testing::WsClient;
    let w = world_with(|c| c.token_ttl = Duration::from_secs(3)).await;
    // Fresh tokens for the short lifetime.
    let alice = herald_server::testing::login(w.server.addr, "alice", PW)
        .await
        .unwrap();
    let bob = herald_server::testing::login(w.server.addr, "bob", PW)
        .await
        .unwrap();
    let mut renewing = WsClient::connect(w.server.addr, &alice.token)
        .await
        .unwrap();
    let (welcome, _) = renewing.hello(None).await.unwrap();
    let expires = welcome.token_expires_at.expect("the welcome says when");
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(left > time::Duration::seconds(1) && left <= time::Duration::seconds(3));
    let mut lapsing = WsClient::connect(w.server.addr, &bob.token).await.unwrap();
    lapsing.hello(None).await.unwrap();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let renewed: RenewTokenOk = renewing
        .request(&ClientFrame::RenewToken(Req {
            id: "t1".into(),
            params: Empty {},
        }))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(renewed.expires_at > expires);
    // Bob did not renew: his socket ends with 4001 at his token's expiry.
    assert_eq!(
        lapsing.closed().await.unwrap(),
        Some(herald_protocol::wire::close_code::UNAUTHORIZED)
    );
    // Alice's socket is still answering after her first token expired...
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(time::OffsetDateTime::now_utc() > expires);
    let pong = renewing.request(&ping("p1")).await.unwrap();
    assert!(matches!(pong.outcome, Outcome::Ok(_)));
    // ...and the new token opens the next socket, which resumes.
    let mut next = WsClient::connect(w.server.addr, &renewed.token)
        .await
        .unwrap();
    let (again, _) = next
        .hello(Some(StreamPosition {
            epoch: welcome.epoch.clone(),
            seq: welcome.seq,
        }))
        .await
        .unwrap();
    assert!(again.recovered);
}
