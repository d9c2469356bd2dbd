#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every protocol value survives serialize -> deserialize unchanged (and re-serializes to the
//! same JSON), so a server or client that decodes what the other encodes sees exactly what was
//! meant.

mod fixtures;

use std::fmt::Debug;

use fixtures::{assert_round_trips, frames, ipc, objects, rest};
use herald_protocol::wire::{
    EmptyOk, ErrorCode, FriendRequestOk, LoadHistoryOk, MarkRoomReadOk, NotificationOk, Reply,
    SendMessageOk,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn assert_all_round_trip<N, T>(fixtures: &[(N, T)])
where
    N: AsRef<str>,
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    for (name, value) in fixtures {
        assert_round_trips(name.as_ref(), value);
    }
}

#[test]
fn wire_objects_round_trip() {
    assert_all_round_trip(&objects::users());
    assert_all_round_trip(&objects::room_kinds());
    assert_all_round_trip(&objects::rooms());
    assert_all_round_trip(&objects::messages());
    assert_all_round_trip(&objects::notification_kinds());
    assert_all_round_trip(&objects::links());
    assert_all_round_trip(&objects::notifications());
    assert_all_round_trip(&objects::friend_requests());
    assert_all_round_trip(&objects::stream_positions());
    assert_all_round_trip(&objects::error_codes());
    assert_all_round_trip(&objects::error_bodies());
}

#[test]
fn client_frames_round_trip() {
    assert_all_round_trip(&frames::client_frames());
}

#[test]
fn server_frames_round_trip() {
    assert_all_round_trip(&frames::server_frames());
}

#[test]
fn events_round_trip() {
    assert_all_round_trip(&frames::events());
    assert_all_round_trip(&frames::event_frames());
}

#[test]
fn rest_bodies_round_trip() {
    assert_all_round_trip(&rest::login_requests());
    assert_all_round_trip(&rest::login_responses());
    assert_all_round_trip(&rest::post_messages());
    assert_all_round_trip(&rest::notification_patches());
    assert_all_round_trip(&rest::audiences());
    assert_all_round_trip(&rest::publish_requests());
    assert_all_round_trip(&rest::publish_responses());
    assert_all_round_trip(&rest::room_pages());
    assert_all_round_trip(&rest::message_pages());
    assert_all_round_trip(&rest::notification_pages());
}

#[test]
fn ipc_types_round_trip() {
    assert_all_round_trip(&ipc::commands());
    assert_all_round_trip(&ipc::replies());
    assert_all_round_trip(&ipc::events());
    assert_all_round_trip(&ipc::event_batches());
    assert_all_round_trip(&ipc::error_codes());
    assert_all_round_trip(&ipc::ui_errors());
    assert_all_round_trip(&ipc::settings());
    assert_all_round_trip(&ipc::quiet_hours());
    assert_all_round_trip(&ipc::themes());
    assert_all_round_trip(&ipc::conn_statuses());
    assert_all_round_trip(&ipc::disconnect_reasons());
    assert_all_round_trip(&ipc::sessions());
    assert_all_round_trip(&ipc::deliveries());
    assert_all_round_trip(&ipc::chat_messages());
    assert_all_round_trip(&ipc::room_views());
    assert_all_round_trip(&ipc::toasts());
    assert_all_round_trip(&ipc::toast_kinds());
    assert_all_round_trip(&ipc::view_states());
    assert_all_round_trip(&ipc::app_infos());
    assert_all_round_trip(&ipc::update_statuses());
}

/// Given a reply built from a typed payload, when it crosses the wire, then the receiver gets
/// the same typed payload back.
fn assert_reply_payload_round_trips<T>(payload: T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let reply = Reply::ok("r1", &payload);
    let json = serde_json::to_string(&reply).unwrap();
    let decoded: Reply = serde_json::from_str(&json).unwrap();
    assert_eq!(decoded.id, "r1");
    assert_eq!(decoded.into_result::<T>().unwrap(), payload);
}

#[test]
fn every_typed_reply_payload_round_trips_through_a_reply() {
    assert_reply_payload_round_trips(SendMessageOk {
        message: objects::message_full(),
    });
    assert_reply_payload_round_trips(LoadHistoryOk {
        messages: vec![objects::message_minimal(), objects::message_full()],
        has_more: true,
    });
    assert_reply_payload_round_trips(MarkRoomReadOk {
        room_id: "r_job12".into(),
        up_to: "m_1042".into(),
        unread_count: 0,
    });
    assert_reply_payload_round_trips(NotificationOk {
        notification: objects::notification_full(),
    });
    assert_reply_payload_round_trips(FriendRequestOk {
        request: objects::friend_request_pending(),
    });
    assert_reply_payload_round_trips(EmptyOk {});
}

#[test]
fn error_reply_round_trips_to_its_error_body() {
    let reply = Reply::error("r9", ErrorCode::RateLimited, "Slow down.");
    let json = serde_json::to_string(&reply).unwrap();
    let decoded: Reply = serde_json::from_str(&json).unwrap();
    let err = decoded.into_result::<EmptyOk>().unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert_eq!(err.message, "Slow down.");
}
