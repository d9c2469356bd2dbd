#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The JSON of every IPC type (desktop core <-> UI), pinned by a snapshot: the UI is built
//! separately (wasm) from the core, so a silent change here would break the bridge at runtime.
//!
//! The coverage tests make sure there is a fixture (and so a snapshot) of every variant.

mod fixtures;

use fixtures::{assert_covers, ipc, pretty};
use serde::Serialize;

fn assert_snapshots<N: AsRef<str>, T: Serialize>(group: &str, fixtures: &[(N, T)]) {
    fixtures::assert_unique_names(fixtures);
    for (name, value) in fixtures {
        insta::assert_snapshot!(format!("{group}__{}", name.as_ref()), pretty(value));
    }
}

#[test]
fn every_ui_command_serializes_as_documented() {
    let commands = ipc::commands();
    assert_snapshots("ui_command", &commands);
    assert_covers(&commands, ipc::command_variant, ipc::ALL_COMMANDS);
}

#[test]
fn every_ui_reply_serializes_as_documented() {
    let replies = ipc::replies();
    assert_snapshots("ui_reply", &replies);
    assert_covers(&replies, ipc::reply_variant, ipc::ALL_REPLIES);
}

#[test]
fn every_ui_event_serializes_as_documented() {
    let events = ipc::events();
    assert_snapshots("ui_event", &events);
    assert_covers(&events, ipc::event_variant, ipc::ALL_EVENTS);
}

#[test]
fn ui_event_batches_serialize_as_documented() {
    assert_snapshots("ui_event_batch", &ipc::event_batches());
}

#[test]
fn every_ui_error_code_serializes_as_documented() {
    let codes = ipc::error_codes();
    assert_snapshots("ui_error_code", &codes);
    assert_covers(&codes, ipc::error_code_variant, ipc::ALL_ERROR_CODES);
    assert_snapshots("ui_error", &ipc::ui_errors());
}

#[test]
fn settings_default_and_custom_serialize_as_documented() {
    assert_snapshots("settings", &ipc::settings());
    assert_snapshots("quiet_hours", &ipc::quiet_hours());
    let themes = ipc::themes();
    assert_snapshots("theme", &themes);
    assert_covers(&themes, ipc::theme_variant, ipc::ALL_THEMES);
}

#[test]
fn every_conn_status_serializes_as_documented() {
    let statuses = ipc::conn_statuses();
    assert_snapshots("conn_status", &statuses);
    assert_covers(&statuses, ipc::conn_status_variant, ipc::ALL_CONN_STATUSES);
}

#[test]
fn every_disconnect_reason_serializes_as_documented() {
    let reasons = ipc::disconnect_reasons();
    assert_snapshots("disconnect_reason", &reasons);
    assert_covers(
        &reasons,
        ipc::disconnect_reason_variant,
        ipc::ALL_DISCONNECT_REASONS,
    );
}

#[test]
fn every_session_serializes_as_documented() {
    let sessions = ipc::sessions();
    assert_snapshots("session", &sessions);
    assert_covers(&sessions, ipc::session_variant, ipc::ALL_SESSIONS);
}

#[test]
fn every_delivery_state_serializes_as_documented() {
    let deliveries = ipc::deliveries();
    assert_snapshots("delivery", &deliveries);
    assert_covers(&deliveries, ipc::delivery_variant, ipc::ALL_DELIVERIES);
}

#[test]
fn chat_messages_serialize_as_documented() {
    assert_snapshots("chat_message", &ipc::chat_messages());
}

#[test]
fn room_view_serializes_as_documented() {
    assert_snapshots("room_view", &ipc::room_views());
}

#[test]
fn toasts_of_every_kind_serialize_as_documented() {
    assert_snapshots("toast", &ipc::toasts());
    let kinds = ipc::toast_kinds();
    assert_snapshots("toast_kind", &kinds);
    assert_covers(&kinds, ipc::toast_kind_variant, ipc::ALL_TOAST_KINDS);
}

#[test]
fn view_states_serialize_as_documented() {
    assert_snapshots("view_state", &ipc::view_states());
}

#[test]
fn app_info_and_update_status_serialize_as_documented() {
    assert_snapshots("app_info", &ipc::app_infos());
    let statuses = ipc::update_statuses();
    assert_snapshots("update_status", &statuses);
    assert_covers(
        &statuses,
        ipc::update_status_variant,
        ipc::ALL_UPDATE_STATUSES,
    );
}

#[test]
fn ipc_constants_are_pinned() {
    use herald_protocol::ipc::{DISPATCH_COMMAND, EVENTS_CHANNEL};
    insta::assert_snapshot!(
        "ipc_constants",
        format!("{DISPATCH_COMMAND}\n{EVENTS_CHANNEL}")
    );
}
