//! A TCP proxy between a client and its server for tests: it can cut every connection,
//! black-hole traffic (a silent network) or refuse new connections (the network is down).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Default)]
struct ProxyState {
    upstream: Option<SocketAddr>,
    blackhole: bool,
    down: bool,
    /// Connections whose first bytes were a WebSocket upgrade request.
    ws_upgrades: usize,
    conns: Vec<AbortHandle>,
}

#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState {
            upstream: Some(upstream),
            ..Default::default()
        }));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let st2 = st.clone();
                let (up, down) = {
                    let s = st.lock().unwrap();
                    (s.upstream, s.down)
                };
                let Some(up) = up.filter(|_| !down) else {
                    continue;
                };
                let task = tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(up).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let a = pipe(&mut cr, &mut sw, st2.clone(), true);
                    let b = pipe(&mut sr, &mut cw, st2, false);
                    tokio::select! { _ = a => {}, _ = b => {} }
                });
                st.lock().unwrap().conns.push(task.abort_handle());
            }
        });
        Proxy { addr, state }
    }

    pub fn set_upstream(&self, up: SocketAddr) {
        self.state.lock().unwrap().upstream = Some(up);
    }

    /// How many WebSocket connections were opened through the proxy so far.
    pub fn ws_upgrades(&self) -> usize {
        self.state.lock().unwrap().ws_upgrades
    }

    pub fn cut_all(&self) {
        for c in self.state.lock().unwrap().conns.drain(..) {
            c.abort();
        }
    }

    /// While down, every connection is cut and new ones are closed at once (refused).
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
        if down {
            self.cut_all();
        }
    }

    pub fn blackhole(&self, on: bool) {
        self.state.lock().unwrap().blackhole = on;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn pipe(
    r: &mut tokio::net::tcp::OwnedReadHalf,
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    st: Arc<Mutex<ProxyState>>,
    from_client: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut first = from_client;
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if std::mem::take(&mut first)
            && String::from_utf8_lossy(&buf[..n])
                .to_ascii_lowercase()
                .contains("upgrade: websocket")
        {
            st.lock().unwrap().ws_upgrades += 1;
        }
        if st.lock().unwrap().blackhole {
            continue;
        }
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
