#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Forward compatibility: a peer built against a newer protocol may send `type`s, event
//! `kind`s, enum values and fields this version does not know. Each must decode to something
//! the receiver can skip or show generically, never to an error that drops the frame (or, for
//! an event, the stream position it carries).

mod fixtures;

use std::fmt::Debug;

use fixtures::{frames, ipc, objects, rest};
use herald_protocol::ipc::{self as hipc, DisconnectReason, Settings, Theme};
use herald_protocol::wire::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn decode<T: DeserializeOwned>(value: Value) -> T {
    let text = value.to_string();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text} does not decode: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Unknown frame types and event kinds

#[test]
fn unknown_server_frame_type_is_ignored() {
    let frame: ServerFrame =
        decode(json!({"type": "presence", "user": {"id": "u_bob", "name": "Bob"}, "online": true}));
    assert_eq!(frame, ServerFrame::Unknown);
}

#[test]
fn unknown_server_frame_type_without_fields_is_ignored() {
    let frame: ServerFrame = decode(json!({"type": "server_notice"}));
    assert_eq!(frame, ServerFrame::Unknown);
}

#[test]
fn unknown_client_frame_type_decodes_to_unknown_without_request_id() {
    let frame: ClientFrame = decode(
        json!({"type": "edit_message", "id": "r7", "message_id": "m_1042", "text": "fixed"}),
    );
    assert_eq!(frame, ClientFrame::Unknown);
    assert_eq!(frame.request_id(), None);
}

#[test]
fn unknown_event_kind_decodes_to_unknown_and_keeps_its_seq() {
    let frame: ServerFrame = decode(json!({
        "type": "event",
        "seq": 42,
        "event": {"kind": "reaction_added", "message_id": "m_1042", "emoji": "+1"}
    }));
    assert_eq!(
        frame,
        ServerFrame::Event(EventFrame {
            seq: 42,
            event: Event::Unknown
        })
    );
}

#[test]
fn unknown_event_kind_without_fields_decodes_to_unknown() {
    let event: Event = decode(json!({"kind": "everything_archived"}));
    assert_eq!(event, Event::Unknown);
}

#[test]
fn frame_without_type_is_a_decode_error_not_unknown() {
    // The server answers such a frame with `error {bad_request}`; it must not be mistaken for
    // a frame from the future.
    assert!(serde_json::from_value::<ClientFrame>(json!({"id": "r1"})).is_err());
    assert!(serde_json::from_value::<ServerFrame>(json!({"seq": 1})).is_err());
}

#[test]
fn known_request_type_with_missing_fields_is_a_decode_error() {
    // Only unknown *types* are skipped; a known request that lacks its fields is a bad request.
    let result = serde_json::from_value::<ClientFrame>(json!({"type": "send_message", "id": "r1"}));
    assert!(result.is_err());
}

// ---------------------------------------------------------------------------------------------
// Unknown fields

/// Adds a field this version does not know to every JSON object in `value`, except inside
/// free-form maps (`meta`, a reply's `ok` payload) and the externally tagged `Audience` (`to`),
/// whose keys are data rather than fields.
fn with_unknown_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if !matches!(key.as_str(), "meta" | "ok" | "to") {
                    with_unknown_fields(v);
                }
            }
            map.insert(
                "x_future_field".into(),
                json!({"nested": [1, "two", null], "flag": true}),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(with_unknown_fields),
        _ => {}
    }
}

fn assert_unknown_fields_ignored<N, T>(fixtures: &[(N, T)])
where
    N: AsRef<str>,
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    for (name, value) in fixtures {
        let mut json = serde_json::to_value(value).unwrap();
        with_unknown_fields(&mut json);
        let text = json.to_string();
        let decoded: T = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{}: unknown fields broke decoding of {text}: {e}",
                name.as_ref()
            )
        });
        assert_eq!(
            &decoded,
            value,
            "{}: unknown fields changed the value",
            name.as_ref()
        );
    }
}

#[test]
fn unknown_fields_in_client_frames_are_ignored() {
    assert_unknown_fields_ignored(&frames::client_frames());
}

#[test]
fn unknown_fields_in_server_frames_and_all_nested_objects_are_ignored() {
    assert_unknown_fields_ignored(&frames::server_frames());
}

#[test]
fn unknown_fields_in_objects_are_ignored() {
    assert_unknown_fields_ignored(&objects::rooms());
    assert_unknown_fields_ignored(&objects::messages());
    assert_unknown_fields_ignored(&objects::notifications());
    assert_unknown_fields_ignored(&objects::friend_requests());
    assert_unknown_fields_ignored(&objects::links());
    assert_unknown_fields_ignored(&objects::stream_positions());
    assert_unknown_fields_ignored(&objects::error_bodies());
}

#[test]
fn unknown_fields_in_rest_bodies_are_ignored() {
    assert_unknown_fields_ignored(&rest::login_requests());
    assert_unknown_fields_ignored(&rest::login_responses());
    assert_unknown_fields_ignored(&rest::post_messages());
    assert_unknown_fields_ignored(&rest::notification_patches());
    assert_unknown_fields_ignored(&rest::publish_requests());
    assert_unknown_fields_ignored(&rest::publish_responses());
    assert_unknown_fields_ignored(&rest::room_pages());
    assert_unknown_fields_ignored(&rest::message_pages());
    assert_unknown_fields_ignored(&rest::notification_pages());
}

#[test]
fn unknown_fields_in_ipc_types_are_ignored() {
    assert_unknown_fields_ignored(&ipc::commands());
    assert_unknown_fields_ignored(&ipc::replies());
    assert_unknown_fields_ignored(&ipc::events());
    assert_unknown_fields_ignored(&ipc::view_states());
    assert_unknown_fields_ignored(&ipc::settings());
}

#[test]
fn unknown_fields_before_the_tag_or_outcome_are_ignored() {
    // Other implementations do not sort keys: an unknown field may come first.
    let frame: ServerFrame =
        serde_json::from_str(r#"{"a_trace_id":"t1","type":"reply","b":2,"id":"r1","ok":{}}"#)
            .unwrap();
    assert_eq!(frame, ServerFrame::Reply(Reply::ok("r1", &EmptyOk {})));
    let frame: ClientFrame =
        serde_json::from_str(r#"{"a_client":"web","type":"ping","id":"r1"}"#).unwrap();
    assert_eq!(
        frame,
        ClientFrame::Ping(Req {
            id: "r1".into(),
            params: Empty {}
        })
    );
}

#[test]
fn unknown_fields_in_a_reply_payload_are_ignored_by_into_result() {
    let frame: ServerFrame = decode(json!({
        "type": "reply",
        "id": "r8",
        "ok": {"messages": [], "has_more": false, "cursor": "abc"}
    }));
    let ServerFrame::Reply(reply) = frame else {
        panic!("not a reply: {frame:?}")
    };
    let ok: LoadHistoryOk = reply.into_result().unwrap();
    assert_eq!(
        ok,
        LoadHistoryOk {
            messages: vec![],
            has_more: false
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown enum values

#[test]
fn unknown_room_kind_decodes_to_other() {
    let mut room = serde_json::to_value(objects::room_job()).unwrap();
    room["kind"] = json!("project");
    let room: Room = decode(room);
    assert_eq!(room.kind, RoomKind::Other);
}

#[test]
fn unknown_error_code_decodes_to_unknown_in_replies_and_error_frames() {
    let frame: ServerFrame = decode(json!({
        "type": "reply", "id": "r1", "error": {"code": "payment_required", "message": "Upgrade."}
    }));
    let ServerFrame::Reply(reply) = frame else {
        panic!("not a reply: {frame:?}")
    };
    let err = reply.into_result::<EmptyOk>().unwrap_err();
    assert_eq!(err, ErrorBody::new(ErrorCode::Unknown, "Upgrade."));
    assert!(err.code.is_transient());

    let frame: ServerFrame =
        decode(json!({"type": "error", "code": "teapot", "message": "I am a teapot."}));
    assert_eq!(
        frame,
        ServerFrame::Error(ErrorBody::new(ErrorCode::Unknown, "I am a teapot."))
    );
}

#[test]
fn unknown_notification_kind_keeps_its_name() {
    let mut n = serde_json::to_value(objects::notification_minimal()).unwrap();
    n["kind"] = json!("order_shipped");
    let n: Notification = decode(n);
    assert_eq!(n.kind, NotificationKind::Other("order_shipped".into()));
    assert_eq!(n.kind.as_str(), "order_shipped");
    assert_eq!(
        serde_json::to_value(&n).unwrap()["kind"],
        json!("order_shipped")
    );
}

#[test]
fn known_notification_kinds_never_decode_to_other() {
    for kind in NotificationKind::KNOWN {
        let decoded: NotificationKind = decode(json!(kind.as_str()));
        assert_eq!(decoded, kind);
    }
}

#[test]
fn unknown_ipc_enum_values_decode_to_unknown() {
    let code: hipc::ErrorCode = decode(json!("disk_on_fire"));
    assert_eq!(code, hipc::ErrorCode::Unknown);
    let reason: DisconnectReason = decode(json!("solar_flare"));
    assert_eq!(reason, DisconnectReason::Unknown);
}

// ---------------------------------------------------------------------------------------------
// Missing optional fields

#[test]
fn message_without_optional_fields_decodes() {
    let message: Message = decode(json!({
        "id": "m_1041",
        "room_id": "r_job12",
        "sender": {"id": "u_bob", "name": "Bob"},
        "text": "When does the part arrive?",
        "created_at": "2024-05-01T09:30:00Z"
    }));
    assert_eq!(message, objects::message_minimal());
}

#[test]
fn optional_fields_sent_as_null_decode_as_absent() {
    let message: Message = decode(json!({
        "id": "m_1041",
        "room_id": "r_job12",
        "sender": {"id": "u_bob", "name": "Bob"},
        "text": "When does the part arrive?",
        "client_msg_id": null,
        "reply_to": null,
        "created_at": "2024-05-01T09:30:00Z",
        "edited_at": null
    }));
    assert_eq!(message, objects::message_minimal());
}

#[test]
fn notification_without_link_meta_or_snooze_decodes() {
    let n: Notification = decode(json!({
        "id": "n_78",
        "kind": "system_alert",
        "title": "Maintenance tonight",
        "body": "The shop is read-only from 22:00 to 23:00 UTC.",
        "priority": 3,
        "created_at": "2024-05-01T09:30:00Z",
        "read": true,
        "archived": true
    }));
    assert_eq!(n, objects::notification_minimal());
}

#[test]
fn room_without_last_message_decodes() {
    let room: Room = decode(json!({
        "id": "r_general",
        "name": "General",
        "kind": "general",
        "members": [{"id": "u_alice", "name": "Alice"}, {"id": "u_bob", "name": "Bob"}],
        "unread_count": 0,
        "updated_at": "2024-05-01T09:30:00Z"
    }));
    assert_eq!(
        room,
        objects::room_without_messages("r_general", "General", RoomKind::General)
    );
}

#[test]
fn hello_without_resume_is_a_first_connect() {
    let frame: ClientFrame = decode(json!({"type": "hello", "protocol": 1}));
    assert_eq!(
        frame,
        ClientFrame::Hello(Hello {
            protocol: 1,
            resume: None
        })
    );
}

#[test]
fn requests_without_optional_fields_decode() {
    let frame: ClientFrame =
        decode(json!({"type": "load_history", "id": "r9", "room_id": "r_job12", "limit": 100}));
    let ClientFrame::LoadHistory(req) = frame else {
        panic!("not load_history: {frame:?}")
    };
    assert_eq!(req.params.before, None);

    let frame: ClientFrame = decode(json!({
        "type": "send_message", "id": "r2", "room_id": "r_job12",
        "client_msg_id": "0190a6e2-7c4e-7d3a-9f1b-2b7c0e5d8a12", "text": "Thanks!"
    }));
    let ClientFrame::SendMessage(req) = frame else {
        panic!("not send_message: {frame:?}")
    };
    assert_eq!(req.params.reply_to, None);
}

#[test]
fn publish_request_with_only_required_fields_gets_defaults() {
    let req: PublishRequest =
        decode(json!({"to": "all", "kind": "system_alert", "title": "Maintenance tonight"}));
    assert_eq!(req.body, "");
    assert_eq!(req.priority, 3);
    assert_eq!(req.link, None);
    assert!(req.meta.is_empty());
}

#[test]
fn rest_bodies_with_only_required_fields_decode() {
    let post: PostMessage = decode(json!({"text": "Thanks!"}));
    assert_eq!(
        post,
        PostMessage {
            text: "Thanks!".into(),
            client_msg_id: None,
            reply_to: None
        }
    );
    let patch: NotificationPatch = decode(json!({}));
    assert_eq!(patch, NotificationPatch::default());
    let link: Link = decode(json!({}));
    assert_eq!(link, Link::default());
}

#[test]
fn partial_settings_fill_in_defaults() {
    let settings: Settings = decode(json!({"dnd": true, "theme": "dark"}));
    assert_eq!(
        settings,
        Settings {
            dnd: true,
            theme: Theme::Dark,
            ..Settings::default()
        }
    );
}

#[test]
fn empty_settings_are_the_defaults() {
    let settings: Settings = decode(json!({}));
    assert_eq!(settings, Settings::default());
}

// ---------------------------------------------------------------------------------------------
// Timestamps from other implementations

#[test]
fn timestamps_with_offset_or_fractional_seconds_decode() {
    // What Django's JSON encoder, Python's isoformat() and JavaScript's toISOString() produce.
    for text in [
        "2024-05-01T09:30:00Z",
        "2024-05-01T09:30:00+00:00",
        "2024-05-01T09:30:00.000Z",
        "2024-05-01T09:30:00.000000+00:00",
        "2024-05-01T11:30:00+02:00",
    ] {
        let position: SnoozeNotification =
            decode(json!({"notification_id": "n_77", "until": text}));
        assert_eq!(position.until, objects::T0, "{text}");
    }
}
