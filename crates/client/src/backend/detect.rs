//! Which backend a server URL is, guessed cheaply for the sign-in form: a handful of
//! unauthenticated `GET`s made together (each bounded to a few seconds). A built-in profile
//! matches when every REST path it reads on connect exists there (answers anything but 404,
//! typically 401 without a token) and, for Socket.IO, when Engine.IO 4 answers its handshake;
//! herald-server matches on `/healthz` plus its own `/api/rooms`. The person's choice still
//! decides: this only preselects.

use std::time::Duration;

use futures_util::future::join_all;

use super::profile::{Profile, Transport, BUILTIN};
use crate::login::http_base;

/// Each probe's limit: a server that does not answer in this time is not guessed at.
const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// What a `GET` answered: the status and the first bytes of the body, or nothing.
type Probe = Option<(u16, String)>;

/// How much of a probe's body is read: enough for an Engine.IO handshake's first bytes, never
/// a large answer from an unknown server.
const PROBE_BODY: usize = 64;

async fn probe(client: &reqwest::Client, url: String) -> Probe {
    let mut resp = client.get(&url).send().await.ok()?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while body.len() < PROBE_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(PROBE_BODY);
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The REST paths a profile reads on every connect (no placeholders), which must exist.
fn paths_of(p: &Profile) -> Vec<String> {
    let s = &p.sync;
    let mut paths = Vec::new();
    if let Some(f) = &s.rooms {
        paths.push(f.path.clone());
    }
    if let Some(f) = &s.notifications {
        match &f.for_each {
            Some(each) => paths.push(each.path.clone()),
            None => paths.push(f.path.clone()),
        }
    }
    if let Some(f) = &s.friend_requests {
        paths.push(f.path.clone());
    }
    paths.retain(|p| !p.contains('{') && !p.contains("://"));
    paths
}

/// The backends `server_url` looks like, most likely first: `herald` or built-in profile
/// names. Empty: nothing known answered.
pub async fn detect(server_url: &str) -> Vec<String> {
    let Ok(client) = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
    else {
        return Vec::new();
    };
    let base = http_base(server_url);
    let mut candidates: Vec<(String, Vec<String>, bool)> = vec![(
        super::HERALD.to_owned(),
        vec!["/healthz".to_owned(), "/api/rooms".to_owned()],
        false,
    )];
    for (name, _) in BUILTIN {
        if let Ok((p, _)) = Profile::resolve(name) {
            let paths = paths_of(&p);
            if !paths.is_empty() {
                candidates.push((name.to_owned(), paths, p.transport == Transport::Socketio));
            }
        }
    }
    let mut urls: Vec<String> = candidates
        .iter()
        .flat_map(|(_, paths, _)| paths.iter().map(|p| format!("{base}{p}")))
        .collect();
    let socketio = format!("{base}/socket.io/?EIO=4&transport=polling");
    urls.push(socketio.clone());
    urls.sort();
    urls.dedup();
    let answers = join_all(urls.iter().map(|u| probe(&client, u.clone()))).await;
    let answer = |url: &str| -> Probe {
        urls.iter()
            .position(|u| u == url)
            .and_then(|i| answers[i].clone())
    };
    let exists = |path: &str| matches!(answer(&format!("{base}{path}")), Some((s, _)) if s != 404);
    let engine_io = matches!(answer(&socketio), Some((200, body)) if body.starts_with('0'));
    candidates
        .into_iter()
        .filter(|(name, paths, sio)| {
            if name == super::HERALD {
                return matches!(answer(&format!("{base}/healthz")), Some((200, _)))
                    && matches!(answer(&format!("{base}/api/rooms")), Some((401, _)));
            }
            paths.iter().all(|p| exists(p)) && (!*sio || engine_io)
        })
        .map(|(name, _, _)| name)
        .collect()
}
