//! One WebSocket session: `hello`, then replay or snapshot, then live events and requests.
//!
//! The connect sequence has no race window: the session subscribes to the broker FIRST (live
//! events buffer in the subscription), then reads the stream head and the replay or snapshot,
//! and finally forwards live events, skipping any seq already sent and filling any gap from the
//! log. So the client sees every event exactly once, in seq order.
//!
//! Everything runs in one task (small per-connection memory). Every write races the slow-client
//! signal, shutdown and the liveness deadline, so a client that stops reading cannot wedge the
//! session: its subscription overflows and it is closed with 4008.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::StreamExt;
use herald_protocol::wire::{
    close_code, ClientFrame, ErrorBody, ErrorCode, EventFrame, Hello, ServerFrame, User, Welcome,
    PROTOCOL_VERSION,
};
use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};

use super::frame::{decode, Decoded};
use super::requests;
use crate::auth::Claims;
use crate::broker::Mailbox;
use crate::domain::Domain;
use crate::server::AppState;
use crate::stream::{plan_resume, ResumePlan};

/// Events read from the log per query while replaying.
const REPLAY_PAGE: u32 = 500;

/// Why a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The peer went away or the socket failed: nothing more to send.
    Gone,
    /// Close with this code and reason.
    Close(u16, &'static str),
}

struct Session {
    ws: WebSocket,
    user: User,
    /// When the socket's token expires (moved on by `renew_token`); the socket closes with
    /// 4001 then.
    token_expires: time::OffsetDateTime,
    last_heard: Instant,
    liveness: Duration,
    shutdown: watch::Receiver<bool>,
}

/// Runs a session to its end; never panics on client input.
pub async fn run(ws: WebSocket, claims: Claims, app: AppState) {
    let domain = app.domain.clone();
    let m = &domain.metrics;
    m.connections_open
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    m.add(&m.connections_total, 1);
    let liveness = domain.config.ping_interval + domain.config.liveness_grace;
    let mut s = Session {
        ws,
        user: claims.user(),
        token_expires: claims.expires_at(),
        last_heard: Instant::now(),
        liveness,
        shutdown: app.shutdown,
    };
    let stop = s.serve(&domain).await;
    tracing::debug!(user = %s.user.id, ?stop, "session ends");
    if let Err(Stop::Close(code, reason)) = stop {
        if code == close_code::TOO_SLOW {
            m.add(&m.slow_consumer_drops, 1);
        }
        s.close(code, reason, domain.config.close_timeout).await;
    }
    m.connections_open
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

/// The monotonic instant of a wall-clock time (now, if it has passed).
fn instant_of(at: time::OffsetDateTime) -> Instant {
    Instant::now() + Duration::try_from(at - time::OffsetDateTime::now_utc()).unwrap_or_default()
}

fn text(frame: &ServerFrame) -> Result<Utf8Bytes, Stop> {
    serde_json::to_string(frame)
        .map(Into::into)
        .map_err(|_| Stop::Close(1011, "encoding failed"))
}

impl Session {
    async fn serve(&mut self, domain: &Domain) -> Result<(), Stop> {
        let hello = self.await_hello().await?;
        let subscription = domain
            .broker
            .subscribe(&self.user.id, domain.config.outbound_queue);
        let mailbox = subscription.mailbox.clone();
        let sub = &*mailbox;
        let mut last_sent = self.catch_up(domain, &hello, sub).await?;
        let mut expiry = instant_of(self.token_expires);
        let ping_every = domain.config.ping_interval;
        let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        loop {
            let msg = tokio::select! {
                biased;
                _ = self.shutdown.changed() => return Err(Stop::Close(close_code::GOING_AWAY, "server shutting down")),
                _ = sub.overflowed() => return Err(Stop::Close(close_code::TOO_SLOW, "too slow: reconnect with resume")),
                _ = sleep_until(expiry) => return Err(Stop::Close(close_code::UNAUTHORIZED, "token expired")),
                _ = ping.tick() => {
                    if self.last_heard.elapsed() > self.liveness {
                        domain.metrics.add(&domain.metrics.liveness_drops, 1);
                        return Err(Stop::Gone);
                    }
                    self.write(Message::Ping(Default::default()), sub).await?;
                    continue;
                }
                d = sub.recv() => {
                    match d.seq {
                        None => self.write(Message::Text(d.text), sub).await?,
                        Some(seq) => last_sent = self.forward(domain, seq, d.text, last_sent, sub).await?,
                    }
                    continue;
                }
                m = self.ws.next() => m,
            };
            let msg = match msg {
                None | Some(Err(_)) => return Err(Stop::Gone),
                Some(Ok(msg)) => msg,
            };
            self.last_heard = Instant::now();
            let bytes = match &msg {
                Message::Text(t) => t.as_bytes(),
                Message::Binary(b) => b.as_ref(),
                Message::Close(_) => return Err(Stop::Gone),
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            let reply = match decode(bytes) {
                Decoded::Frame(f) if matches!(*f, ClientFrame::Hello(_)) => {
                    return Err(Stop::Close(close_code::PROTOCOL_VIOLATION, "second hello"))
                }
                Decoded::Frame(f) => match *f {
                    // The session's own: a new token moves this socket's expiry.
                    ClientFrame::RenewToken(r) => {
                        let outcome = match domain.renew_token(&self.user).await {
                            Ok(ok) => {
                                self.token_expires = ok.expires_at;
                                expiry = instant_of(ok.expires_at);
                                herald_protocol::wire::Reply::ok(r.id, &ok)
                            }
                            Err(e) => herald_protocol::wire::Reply {
                                id: r.id,
                                outcome: herald_protocol::wire::Outcome::Error(e.to_body()),
                            },
                        };
                        Some(ServerFrame::Reply(outcome))
                    }
                    f => requests::handle(domain, &self.user, f).await,
                },
                Decoded::TooLarge => Some(bad(domain, ErrorCode::TooLarge, "frame over 64 KiB")),
                Decoded::Invalid {
                    id: Some(id),
                    reason,
                } => {
                    domain.metrics.add(&domain.metrics.bad_frames, 1);
                    Some(ServerFrame::Reply(herald_protocol::wire::Reply::error(
                        id,
                        ErrorCode::BadRequest,
                        reason,
                    )))
                }
                Decoded::Invalid { id: None, reason } => {
                    Some(bad(domain, ErrorCode::BadRequest, &reason))
                }
            };
            if let Some(frame) = reply {
                self.write(Message::Text(text(&frame)?), sub).await?;
            }
        }
    }

    /// Waits for the first frame, which must be a supported `hello`.
    async fn await_hello(&mut self) -> Result<Hello, Stop> {
        let violation = |why| Stop::Close(close_code::PROTOCOL_VIOLATION, why);
        loop {
            let next = tokio::select! {
                _ = self.shutdown.changed() => return Err(Stop::Close(close_code::GOING_AWAY, "server shutting down")),
                _ = sleep_until(self.last_heard + self.liveness) => return Err(Stop::Gone),
                m = self.ws.next() => m,
            };
            let msg = match next {
                None | Some(Err(_)) => return Err(Stop::Gone),
                Some(Ok(msg)) => msg,
            };
            let bytes = match &msg {
                Message::Text(t) => t.as_bytes(),
                Message::Binary(b) => b.as_ref(),
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(_) => return Err(Stop::Gone),
            };
            return match decode(bytes) {
                Decoded::Frame(f) => match *f {
                    ClientFrame::Hello(h) if h.protocol == PROTOCOL_VERSION => Ok(h),
                    ClientFrame::Hello(_) => Err(violation("unsupported protocol version")),
                    _ => Err(violation("the first frame must be hello")),
                },
                Decoded::TooLarge => Err(violation("frame over 64 KiB")),
                Decoded::Invalid { .. } => Err(violation("the first frame must be hello")),
            };
        }
    }

    /// Sends `welcome` and the replay or snapshot; returns the last seq the client now has.
    async fn catch_up(
        &mut self,
        domain: &Domain,
        hello: &Hello,
        sub: &Mailbox,
    ) -> Result<u64, Stop> {
        let internal = |e: crate::error::Error| {
            tracing::error!(error = %e, "catch-up failed");
            Stop::Close(1011, "internal error; reconnect")
        };
        let head = domain
            .store
            .stream_head(&self.user.id)
            .await
            .map_err(internal)?;
        if let ResumePlan::Replay { after } = plan_resume(hello.resume.as_ref(), &head) {
            let first = domain
                .store
                .events_after(&self.user.id, after, REPLAY_PAGE)
                .await
                .map_err(internal)?;
            // Pruned between the head read and now? Then it is a snapshot after all.
            if first.first().is_none_or(|f| f.seq == after + 1) {
                domain.metrics.add(&domain.metrics.replays, 1);
                let welcome = self.welcome(&head.epoch, head.head, true);
                self.write(Message::Text(text(&welcome)?), sub).await?;
                let mut last = after;
                let mut page = first;
                while !page.is_empty() {
                    for f in page {
                        last = self.send_event(domain, f, last, sub).await?;
                    }
                    if last >= head.head {
                        break;
                    }
                    page = domain
                        .store
                        .events_after(&self.user.id, last, REPLAY_PAGE)
                        .await
                        .map_err(internal)?;
                }
                return Ok(last);
            }
        }
        domain.metrics.add(&domain.metrics.snapshots, 1);
        let mut snapshot = domain
            .store
            .snapshot(&self.user.id, domain.config.snapshot_notifications)
            .await
            .map_err(internal)?;
        let dropped = super::budget::fit_snapshot(&mut snapshot, super::budget::FRAME_BUDGET);
        if dropped > 0 {
            tracing::debug!(user = %self.user.id, dropped, "snapshot over its byte budget: older notifications left to paging");
        }
        let seq = snapshot.seq;
        self.write(
            Message::Text(text(&self.welcome(&head.epoch, seq, false))?),
            sub,
        )
        .await?;
        self.write(Message::Text(text(&ServerFrame::Snapshot(snapshot))?), sub)
            .await?;
        Ok(seq)
    }

    fn welcome(&self, epoch: &str, seq: u64, recovered: bool) -> ServerFrame {
        ServerFrame::Welcome(Welcome {
            protocol: PROTOCOL_VERSION,
            user: self.user.clone(),
            epoch: epoch.to_owned(),
            seq,
            recovered,
            token_expires_at: Some(self.token_expires),
        })
    }

    /// Sends one event read from the log if it is the next one; returns the new last seq.
    async fn send_event(
        &mut self,
        domain: &Domain,
        f: EventFrame,
        last: u64,
        sub: &Mailbox,
    ) -> Result<u64, Stop> {
        if f.seq <= last {
            return Ok(last);
        }
        if f.seq != last + 1 {
            return Err(Stop::Close(1011, "stream gap; reconnect with resume"));
        }
        let seq = f.seq;
        self.write(Message::Text(text(&ServerFrame::Event(f))?), sub)
            .await?;
        domain.metrics.add(&domain.metrics.events_delivered, 1);
        Ok(seq)
    }

    /// Forwards a live event: skips what was sent, fills a gap from the log first.
    async fn forward(
        &mut self,
        domain: &Domain,
        seq: u64,
        frame: Utf8Bytes,
        mut last: u64,
        sub: &Mailbox,
    ) -> Result<u64, Stop> {
        if seq <= last {
            return Ok(last);
        }
        if seq > last + 1 {
            let missing = u32::try_from(seq - last - 1).unwrap_or(u32::MAX);
            let fill = domain
                .store
                .events_after(&self.user.id, last, missing)
                .await
                .map_err(|_| Stop::Close(1011, "internal error; reconnect"))?;
            for f in fill.into_iter().filter(|f| f.seq < seq) {
                last = self.send_event(domain, f, last, sub).await?;
            }
            if last + 1 != seq {
                return Err(Stop::Close(1011, "stream gap; reconnect with resume"));
            }
        }
        self.write(Message::Text(frame), sub).await?;
        domain.metrics.add(&domain.metrics.events_delivered, 1);
        Ok(seq)
    }

    /// Writes one message, giving up when the client is too slow, the server shuts down or the
    /// peer has been silent past the liveness deadline.
    async fn write(&mut self, msg: Message, sub: &Mailbox) -> Result<(), Stop> {
        let deadline = self.last_heard + self.liveness;
        tokio::select! {
            r = self.ws.send(msg) => r.map_err(|e| {
                tracing::warn!(user = %self.user.id, error = %e, "a write to the socket failed; closing");
                Stop::Gone
            }),
            _ = sub.overflowed() => Err(Stop::Close(close_code::TOO_SLOW, "too slow: reconnect with resume")),
            _ = self.shutdown.changed() => Err(Stop::Close(close_code::GOING_AWAY, "server shutting down")),
            _ = sleep_until(deadline) => Err(Stop::Gone),
        }
    }

    /// Sends a close frame and waits (bounded) for the peer's close so the frame is delivered.
    async fn close(&mut self, code: u16, reason: &'static str, timeout: Duration) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let deadline = Instant::now() + timeout;
        if tokio::time::timeout_at(deadline, self.ws.send(Message::Close(Some(frame))))
            .await
            .is_err()
        {
            return;
        }
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    }
}

fn bad(domain: &Domain, code: ErrorCode, message: &str) -> ServerFrame {
    domain.metrics.add(&domain.metrics.bad_frames, 1);
    ServerFrame::Error(ErrorBody::new(code, message))
}
