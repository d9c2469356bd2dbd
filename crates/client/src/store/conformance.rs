//! One conformance suite for every [`Store`] implementation (ARCHITECTURE.md: one conformance suite
//! per trait).

use herald_protocol::ipc::Settings;
use herald_protocol::wire::{Message, Room, RoomKind, StreamPosition, User};
use time::macros::datetime;

use super::{Changes, MemoryStore, OutboxEntry, SqliteStore, Store, StoredOp, StoredSession};

fn user(id: &str) -> User {
    User {
        id: id.into(),
        name: id.into(),
    }
}

fn room(id: &str) -> Room {
    Room {
        id: id.into(),
        name: id.into(),
        kind: RoomKind::General,
        members: vec![],
        unread_count: 1,
        last_message: None,
        updated_at: datetime!(2026-01-01 00:00 UTC),
    }
}

fn msg(id: &str, room: &str, n: i64) -> Message {
    Message {
        id: id.into(),
        room_id: room.into(),
        sender: user("bob"),
        text: format!("text {id}"),
        client_msg_id: None,
        reply_to: None,
        created_at: datetime!(2026-01-01 00:00 UTC) + time::Duration::milliseconds(n),
        edited_at: None,
    }
}

fn entry(id: &str) -> OutboxEntry {
    OutboxEntry {
        client_msg_id: id.into(),
        room_id: "r1".into(),
        text: "hi".into(),
        reply_to: None,
        created_at: datetime!(2026-01-01 00:00 UTC),
        attempts: 0,
        failed: None,
    }
}

fn session(u: &str) -> StoredSession {
    StoredSession {
        server_url: "http://h".into(),
        user: user(u),
        backend: None,
    }
}

fn stores_and_loads_everything_it_is_given(s: &mut dyn Store) {
    let pos = StreamPosition {
        epoch: "e".into(),
        seq: 7,
    };
    s.apply(&Changes {
        session: Some(Some(session("alice"))),
        rooms: vec![room("r1"), room("r2")],
        messages: vec![msg("m2", "r1", 2), msg("m1", "r1", 1), msg("m3", "r2", 3)],
        outbox: vec![entry("o2"), entry("o1")],
        drafts: vec![("r1".into(), "draft".into())],
        notified: vec!["m:m1".into()],
        settings: Some(Settings {
            dnd: true,
            ..Default::default()
        }),
        notifications_unread: Some(3),
        position: Some(pos.clone()),
        ..Default::default()
    })
    .unwrap();
    let st = s.load(50).unwrap();
    assert_eq!(st.session, Some(session("alice")));
    assert_eq!(st.position, Some(pos));
    assert_eq!(st.rooms.len(), 2);
    let ids: Vec<_> = st
        .messages
        .iter()
        .filter(|m| m.room_id == "r1")
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["m1", "m2"]);
    let outbox: Vec<_> = st.outbox.iter().map(|o| o.client_msg_id.as_str()).collect();
    assert_eq!(outbox, ["o1", "o2"]);
    assert_eq!(st.drafts, vec![("r1".to_owned(), "draft".to_owned())]);
    assert!(st.notified.contains("m:m1"));
    assert!(st.settings.map(|s| s.dnd).unwrap_or(false));
    assert_eq!(st.notifications_unread, 3);
}

fn upserts_messages_by_id_and_pages_backwards(s: &mut dyn Store) {
    let msgs: Vec<_> = (0..30).map(|i| msg(&format!("m{i:02}"), "r1", i)).collect();
    s.apply(&Changes {
        messages: msgs.clone(),
        ..Default::default()
    })
    .unwrap();
    s.apply(&Changes {
        messages: msgs[..5].to_vec(),
        ..Default::default()
    })
    .unwrap();
    let mut edited = msgs[3].clone();
    edited.text = "edited".into();
    s.apply(&Changes {
        messages: vec![edited],
        ..Default::default()
    })
    .unwrap();
    let newest = s.messages_before("r1", None, 10).unwrap();
    assert_eq!(newest.first().map(|m| m.id.as_str()), Some("m20"));
    assert_eq!(newest.last().map(|m| m.id.as_str()), Some("m29"));
    let older = s
        .messages_before("r1", Some((msgs[10].created_at, "m10")), 100)
        .unwrap();
    assert_eq!(older.len(), 10);
    assert_eq!(older[3].text, "edited");
    assert_eq!(s.load(5).unwrap().messages.len(), 5);
    // With a second room, start-up loads the newest `recent` of each, oldest first overall.
    s.apply(&Changes {
        messages: (0..8)
            .map(|i| msg(&format!("q{i}"), "r2", 100 + i))
            .collect(),
        ..Default::default()
    })
    .unwrap();
    let loaded = s.load(3).unwrap().messages;
    let ids: Vec<_> = loaded.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["m27", "m28", "m29", "q5", "q6", "q7"]);
}

fn a_reset_keeps_outbox_drafts_and_dedupe_set(s: &mut dyn Store) {
    s.apply(&Changes {
        session: Some(Some(session("alice"))),
        rooms: vec![room("r1")],
        messages: vec![msg("m1", "r1", 1)],
        outbox: vec![entry("o1")],
        drafts: vec![("r1".into(), "d".into())],
        notified: vec!["m:m1".into()],
        ..Default::default()
    })
    .unwrap();
    s.apply(&Changes {
        reset_server_state: true,
        rooms: vec![room("r2")],
        ..Default::default()
    })
    .unwrap();
    let st = s.load(50).unwrap();
    assert_eq!(
        st.rooms.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r2"]
    );
    assert!(st.messages.is_empty());
    assert_eq!(st.outbox.len(), 1);
    assert_eq!(st.drafts.len(), 1);
    assert!(st.notified.contains("m:m1"));
}

fn signing_out_or_switching_user_wipes_the_profile(s: &mut dyn Store) {
    s.apply(&Changes {
        session: Some(Some(session("alice"))),
        rooms: vec![room("r1")],
        outbox: vec![entry("o1")],
        position: Some(StreamPosition {
            epoch: "e".into(),
            seq: 1,
        }),
        ..Default::default()
    })
    .unwrap();
    s.apply(&Changes {
        session: Some(Some(session("bob"))),
        ..Default::default()
    })
    .unwrap();
    let st = s.load(50).unwrap();
    assert_eq!(st.session, Some(session("bob")));
    assert!(st.rooms.is_empty() && st.outbox.is_empty() && st.position.is_none());
    s.apply(&Changes {
        session: Some(None),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.load(50).unwrap().session, None);
}

fn outbox_removal_and_empty_draft_delete(s: &mut dyn Store) {
    s.apply(&Changes {
        outbox: vec![entry("o1"), entry("o2")],
        drafts: vec![("r".into(), "x".into())],
        ..Default::default()
    })
    .unwrap();
    s.apply(&Changes {
        outbox_removed: vec!["o1".into()],
        drafts: vec![("r".into(), String::new())],
        ..Default::default()
    })
    .unwrap();
    let st = s.load(50).unwrap();
    assert_eq!(st.outbox.len(), 1);
    assert!(st.drafts.is_empty());
}

fn op(key: &str, json: &str) -> StoredOp {
    StoredOp {
        key: key.into(),
        json: json.into(),
    }
}

fn queued_operations_load_in_key_order_survive_a_reset_and_go_with_the_profile(s: &mut dyn Store) {
    // given two queued operations, the first one updated in place
    s.apply(&Changes {
        session: Some(Some(session("alice"))),
        ops: vec![op("002", "b"), op("001", "a")],
        ..Default::default()
    })
    .unwrap();
    s.apply(&Changes {
        ops: vec![op("001", "a2")],
        reset_server_state: true,
        ..Default::default()
    })
    .unwrap();
    // then they load oldest first, a snapshot reset keeps them
    assert_eq!(
        s.load(50).unwrap().ops,
        vec![op("001", "a2"), op("002", "b")]
    );
    // when one is settled, only the other remains
    s.apply(&Changes {
        ops_removed: vec!["001".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.load(50).unwrap().ops, vec![op("002", "b")]);
    // and signing out drops them with the profile
    s.apply(&Changes {
        session: Some(None),
        ..Default::default()
    })
    .unwrap();
    assert!(s.load(50).unwrap().ops.is_empty());
}

fn suite(make: impl Fn() -> Box<dyn Store>) {
    queued_operations_load_in_key_order_survive_a_reset_and_go_with_the_profile(&mut *make());
    stores_and_loads_everything_it_is_given(&mut *make());
    upserts_messages_by_id_and_pages_backwards(&mut *make());
    a_reset_keeps_outbox_drafts_and_dedupe_set(&mut *make());
    signing_out_or_switching_user_wipes_the_profile(&mut *make());
    outbox_removal_and_empty_draft_delete(&mut *make());
}

#[test]
fn memory_store_conforms() {
    suite(|| Box::new(MemoryStore::new()));
}

#[test]
fn sqlite_store_conforms() {
    suite(|| Box::new(SqliteStore::open_in_memory().unwrap()));
}

#[test]
fn sqlite_store_survives_reopen_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        s.apply(&Changes {
            rooms: vec![room("r1")],
            outbox: vec![entry("o1")],
            ..Default::default()
        })
        .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    let st = s.load(10).unwrap();
    assert_eq!(st.rooms.len(), 1);
    assert_eq!(st.outbox.len(), 1);
}

#[test]
fn a_ten_thousand_message_burst_is_one_transaction() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let msgs: Vec<_> = (0..10_000)
        .map(|i| msg(&format!("m{i:05}"), "r1", i))
        .collect();
    let t = std::time::Instant::now();
    s.apply(&Changes {
        messages: msgs,
        ..Default::default()
    })
    .unwrap();
    eprintln!("10k messages stored in {:?}", t.elapsed());
    assert_eq!(s.messages_before("r1", None, 20_000).unwrap().len(), 10_000);
}
