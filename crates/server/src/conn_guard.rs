//! Deadlines on every accepted TCP connection, below HTTP: axum's `serve` has no header-read or
//! idle timeout, so a half-sent request or a silent connection was held forever (slowloris),
//! each one a task and a file descriptor.
//!
//! - **First request**: the end of the first request's headers (`\r\n\r\n`) must arrive within
//!   `header_timeout` of the accept, however slowly the bytes trickle in.
//! - **Idle**: a connection on which nothing arrives for `idle_timeout` is closed. A WebSocket is
//!   never idle that long while its peer lives (it answers the server's pings, which the session
//!   sends every ping interval), and a silent one is already dropped by the session's liveness
//!   check; so this bound, above ping interval + grace, catches idle HTTP keep-alive connections.
//! - **Count**: at most `max_connections` are open at once; past it the listener stops
//!   accepting until one closes (the kernel's backlog holds the rest).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The deadlines and the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            max_connections: 25_000,
        }
    }
}

/// A `TcpListener` whose connections carry the deadlines.
pub struct GuardedListener {
    inner: TcpListener,
    limits: ConnLimits,
    open: Arc<Semaphore>,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, limits: ConnLimits) -> Self {
        Self {
            inner,
            open: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Waits here while `max_connections` are open.
            let Ok(permit) = self.open.clone().acquire_owned().await else {
                // Never closed; keep serving without the cap rather than stop.
                tracing::error!("connection semaphore closed");
                continue;
            };
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (GuardedStream::new(stream, self.limits, permit), addr);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off a little, as axum does.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// One connection with its deadlines; its permit frees a place when it is dropped.
pub struct GuardedStream {
    inner: TcpStream,
    limits: ConnLimits,
    /// Fires at the header deadline until the first request's headers are in, then at the
    /// idle deadline (pushed forward by every read).
    deadline: Pin<Box<Sleep>>,
    headers_done: bool,
    /// The last bytes seen, to find `\r\n\r\n` across reads.
    tail: [u8; 3],
    _permit: OwnedSemaphorePermit,
}

impl GuardedStream {
    fn new(inner: TcpStream, limits: ConnLimits, permit: OwnedSemaphorePermit) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(limits.header_timeout)),
            limits,
            headers_done: false,
            tail: [0; 3],
            _permit: permit,
        }
    }

    fn saw(&mut self, bytes: &[u8]) {
        if !self.headers_done {
            let mut window = Vec::with_capacity(3 + bytes.len());
            window.extend_from_slice(&self.tail);
            window.extend_from_slice(bytes);
            if window.windows(4).any(|w| w == b"\r\n\r\n") {
                self.headers_done = true;
            }
            let n = window.len();
            self.tail.copy_from_slice(&window[n - 3..]);
        }
        if self.headers_done {
            let next = Instant::now() + self.limits.idle_timeout;
            self.deadline.as_mut().reset(next);
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                if !fresh.is_empty() {
                    self.saw(fresh);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let what = if self.headers_done {
                        "idle"
                    } else {
                        "no complete request header"
                    };
                    tracing::debug!(what, "closing a connection past its deadline");
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
