#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The JSON of every wire type, pinned by a snapshot: any change to what a server or client
//! puts on the wire fails here, and then `docs/protocol.md` has to change with it.
//!
//! The coverage tests make sure there is a fixture (and so a snapshot) of every variant.

mod fixtures;

use fixtures::{assert_covers, frames, objects, pretty, rest};
use serde::Serialize;

fn assert_snapshots<N: AsRef<str>, T: Serialize>(group: &str, fixtures: &[(N, T)]) {
    fixtures::assert_unique_names(fixtures);
    for (name, value) in fixtures {
        insta::assert_snapshot!(format!("{group}__{}", name.as_ref()), pretty(value));
    }
}

// Objects

#[test]
fn user_serializes_as_documented() {
    assert_snapshots("user", &objects::users());
}

#[test]
fn every_room_kind_serializes_as_documented() {
    assert_snapshots("room_kind", &objects::room_kinds());
    assert_covers(
        &objects::room_kinds(),
        objects::room_kind_variant,
        objects::ALL_ROOM_KINDS,
    );
}

#[test]
fn rooms_serialize_as_documented() {
    assert_snapshots("room", &objects::rooms());
}

#[test]
fn messages_with_and_without_optional_fields_serialize_as_documented() {
    assert_snapshots("message", &objects::messages());
}

#[test]
fn every_notification_kind_serializes_as_documented() {
    let kinds = objects::notification_kinds();
    assert_snapshots("notification_kind", &kinds);
    assert_covers(
        &kinds,
        objects::notification_kind_variant,
        objects::ALL_NOTIFICATION_KINDS,
    );
}

#[test]
fn links_serialize_as_documented() {
    assert_snapshots("link", &objects::links());
}

#[test]
fn notifications_serialize_as_documented() {
    assert_snapshots("notification", &objects::notifications());
}

#[test]
fn friend_requests_in_every_status_serialize_as_documented() {
    let requests = objects::friend_requests();
    assert_snapshots("friend_request", &requests);
    let statuses: Vec<_> = requests.into_iter().map(|(n, r)| (n, r.status)).collect();
    assert_covers(
        &statuses,
        objects::friend_request_status_variant,
        objects::ALL_FRIEND_REQUEST_STATUSES,
    );
}

#[test]
fn stream_position_serializes_as_documented() {
    assert_snapshots("stream_position", &objects::stream_positions());
}

#[test]
fn every_error_code_serializes_as_documented() {
    let codes = objects::error_codes();
    assert_snapshots("error_code", &codes);
    assert_covers(
        &codes,
        objects::error_code_variant,
        objects::ALL_ERROR_CODES,
    );
}

#[test]
fn error_body_serializes_as_documented() {
    assert_snapshots("error_body", &objects::error_bodies());
}

// Frames

#[test]
fn every_client_frame_serializes_as_documented() {
    let frames = frames::client_frames();
    assert_snapshots("client_frame", &frames);
    assert_covers(
        &frames,
        frames::client_frame_variant,
        frames::ALL_CLIENT_FRAMES,
    );
}

#[test]
fn every_server_frame_serializes_as_documented() {
    let frames = frames::server_frames();
    assert_snapshots("server_frame", &frames);
    assert_covers(
        &frames,
        frames::server_frame_variant,
        frames::ALL_SERVER_FRAMES,
    );
}

#[test]
fn every_event_kind_serializes_as_documented() {
    let events = frames::events();
    assert_snapshots("event", &events);
    assert_covers(&events, frames::event_variant, frames::ALL_EVENTS);
}

// REST bodies

#[test]
fn login_bodies_serialize_as_documented() {
    assert_snapshots("login_request", &rest::login_requests());
    assert_snapshots("login_response", &rest::login_responses());
}

#[test]
fn post_message_bodies_serialize_as_documented() {
    assert_snapshots("post_message", &rest::post_messages());
}

#[test]
fn notification_patches_serialize_as_documented() {
    assert_snapshots("notification_patch", &rest::notification_patches());
}

#[test]
fn publish_bodies_serialize_as_documented() {
    let audiences = rest::audiences();
    assert_snapshots("audience", &audiences);
    assert_covers(&audiences, rest::audience_variant, rest::ALL_AUDIENCES);
    assert_snapshots("publish_request", &rest::publish_requests());
    assert_snapshots("publish_response", &rest::publish_responses());
}

#[test]
fn rest_pages_serialize_as_documented() {
    assert_snapshots("rooms", &rest::room_pages());
    assert_snapshots("page", &rest::message_pages());
    assert_snapshots("page", &rest::notification_pages());
}

#[test]
fn protocol_constants_are_pinned() {
    insta::assert_snapshot!("constants", pretty(&rest::constants()));
}
