//! Shared set-up for the integration tests: a real server on 127.0.0.1:0 over a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use herald_protocol::wire::{
    ClientFrame, Empty, LoginResponse, Message, Reply, Req, RoomKind, SendMessage,
};
use herald_server::config::Database;
use herald_server::testing::{self, WsClient};
use herald_server::{Config, RunningServer};

pub const PW: &str = "pw";

pub struct World {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub alice: LoginResponse,
    pub bob: LoginResponse,
    pub carol: LoginResponse,
    /// "Job #5": alice and bob (not carol).
    pub room_id: String,
}

pub fn file_config(dir: &tempfile::TempDir) -> Config {
    Config::for_tests(Database::SqliteFile(dir.path().join("herald.db")))
}

pub async fn world() -> World {
    world_with(|_| {}).await
}

pub async fn world_with(tweak: impl FnOnce(&mut Config)) -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut config = file_config(&dir);
    tweak(&mut config);
    let server = testing::spawn(config.clone()).await.unwrap();
    for u in ["alice", "bob", "carol"] {
        testing::add_user(&server, u, PW).await.unwrap();
    }
    let room = server
        .domain
        .create_room("Job #5", RoomKind::Job, &["alice".into(), "bob".into()])
        .await
        .unwrap();
    let alice = testing::login(server.addr, "alice", PW).await.unwrap();
    let bob = testing::login(server.addr, "bob", PW).await.unwrap();
    let carol = testing::login(server.addr, "carol", PW).await.unwrap();
    World {
        server,
        dir,
        config,
        alice,
        bob,
        carol,
        room_id: room.id,
    }
}

/// Connects and says hello without resume.
pub async fn connect(w: &World, who: &LoginResponse) -> WsClient {
    let mut ws = WsClient::connect(w.server.addr, &who.token).await.unwrap();
    ws.hello(None).await.unwrap();
    ws
}

pub fn send(id: &str, room_id: &str, cid: &str, text: &str) -> ClientFrame {
    ClientFrame::SendMessage(Req {
        id: id.into(),
        params: SendMessage {
            room_id: room_id.into(),
            client_msg_id: cid.into(),
            text: text.into(),
            reply_to: None,
        },
    })
}

pub fn ping(id: &str) -> ClientFrame {
    ClientFrame::Ping(Req {
        id: id.into(),
        params: Empty {},
    })
}

pub fn ok_message(reply: Reply) -> Message {
    reply
        .into_result::<herald_protocol::wire::SendMessageOk>()
        .unwrap()
        .message
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}
