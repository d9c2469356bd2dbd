#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every JSON example in `docs/protocol.md` is real: it decodes into the type it is labelled
//! with and re-encodes to the same JSON. A server developer copies these examples; if the types
//! change and the page does not, this test fails.
//!
//! Labels are HTML comments right before a fenced block:
//! `<!-- example: ServerFrame -->` (decode + re-encode must match),
//! `<!-- example: ServerFrame decode-only -->` (a forward-compatibility example: must decode),
//! `<!-- example: ServerFrame ok=SendMessageOk -->` (also: the reply's `ok` decodes as that),
//! `<!-- example: transcript -->` (a `text` block of `C: {...}` / `S: {...}` lines).

use herald_protocol::wire::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const DOC: &str = include_str!("../../../docs/protocol.md");

/// One labelled example.
#[derive(Debug)]
struct Example {
    line: usize,
    label: String,
    body: String,
}

fn examples() -> Vec<Example> {
    let lines: Vec<&str> = DOC.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(label) = lines[i]
            .trim()
            .strip_prefix("<!-- example:")
            .and_then(|rest| rest.strip_suffix("-->"))
            .map(str::trim)
        else {
            i += 1;
            continue;
        };
        let fence = i + 1;
        assert!(
            lines.get(fence).is_some_and(|l| l.starts_with("```")),
            "line {}: an example label must be followed by a fenced block",
            i + 1
        );
        let end = (fence + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .unwrap_or_else(|| panic!("line {}: unterminated code block", fence + 1));
        out.push(Example {
            line: fence + 1,
            label: label.to_owned(),
            body: lines[fence + 1..end].join("\n"),
        });
        i = end + 1;
    }
    out
}

/// Decodes `json` as `T`; unless `decode_only`, checks that re-encoding gives the same JSON.
fn check<T: Serialize + DeserializeOwned>(line: usize, json: &str, decode_only: bool) -> T {
    let value: T = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("docs line {line}: example does not decode: {e}\n{json}"));
    if !decode_only {
        let written: Value = serde_json::from_str(json).unwrap();
        let encoded = serde_json::to_value(&value).unwrap();
        assert_eq!(
            encoded, written,
            "docs line {line}: the types encode this example differently; copy the snapshot"
        );
    }
    value
}

fn check_reply_payload<T: Serialize + DeserializeOwned>(line: usize, frame: ServerFrame) {
    let ServerFrame::Reply(Reply {
        outcome: Outcome::Ok(payload),
        ..
    }) = frame
    else {
        panic!("docs line {line}: `ok=` is only for successful reply frames")
    };
    // The payload must be exactly what the server writes for that request's `*Ok` type.
    check::<T>(line, &payload.to_string(), false);
}

fn check_example(ex: &Example) {
    let mut words = ex.label.split_whitespace();
    let ty = words.next().unwrap_or_default();
    let mut decode_only = false;
    let mut ok_type = None;
    for word in words {
        match word {
            "decode-only" => decode_only = true,
            w if w.starts_with("ok=") => ok_type = Some(&w[3..]),
            w => panic!("docs line {}: unknown label option {w}", ex.line),
        }
    }
    let (line, body) = (ex.line, ex.body.as_str());
    match ty {
        "transcript" => {
            for (n, l) in body.lines().enumerate() {
                let line = line + 1 + n;
                if let Some(json) = l.strip_prefix("C: ") {
                    check::<ClientFrame>(line, json, decode_only);
                } else if let Some(json) = l.strip_prefix("S: ") {
                    check::<ServerFrame>(line, json, decode_only);
                } else {
                    panic!("docs line {line}: transcript lines start with `C: ` or `S: `");
                }
            }
        }
        "ClientFrame" => {
            check::<ClientFrame>(line, body, decode_only);
        }
        "ServerFrame" => {
            let frame = check::<ServerFrame>(line, body, decode_only);
            match ok_type {
                None => {}
                Some("SendMessageOk") => check_reply_payload::<SendMessageOk>(line, frame),
                Some("MarkRoomReadOk") => check_reply_payload::<MarkRoomReadOk>(line, frame),
                Some("NotificationOk") => check_reply_payload::<NotificationOk>(line, frame),
                Some("EmptyOk") => check_reply_payload::<EmptyOk>(line, frame),
                Some("RenewTokenOk") => check_reply_payload::<RenewTokenOk>(line, frame),
                Some("LoadHistoryOk") => check_reply_payload::<LoadHistoryOk>(line, frame),
                Some("FriendRequestOk") => check_reply_payload::<FriendRequestOk>(line, frame),
                Some(other) => panic!("docs line {line}: unknown ok type {other}"),
            }
        }
        "ErrorBody" => {
            check::<ErrorBody>(line, body, decode_only);
        }
        "User" => {
            check::<User>(line, body, decode_only);
        }
        "Room" => {
            check::<Room>(line, body, decode_only);
        }
        "Message" => {
            check::<Message>(line, body, decode_only);
        }
        "Notification" => {
            check::<Notification>(line, body, decode_only);
        }
        "Link" => {
            check::<Link>(line, body, decode_only);
        }
        "FriendRequest" => {
            check::<FriendRequest>(line, body, decode_only);
        }
        "StreamPosition" => {
            check::<StreamPosition>(line, body, decode_only);
        }
        "LoginRequest" => {
            check::<LoginRequest>(line, body, decode_only);
        }
        "LoginResponse" => {
            check::<LoginResponse>(line, body, decode_only);
        }
        "Vec<Room>" => {
            check::<Vec<Room>>(line, body, decode_only);
        }
        "Page<Message>" => {
            check::<Page<Message>>(line, body, decode_only);
        }
        "Page<Notification>" => {
            check::<Page<Notification>>(line, body, decode_only);
        }
        "PostMessage" => {
            check::<PostMessage>(line, body, decode_only);
        }
        "NotificationPatch" => {
            check::<NotificationPatch>(line, body, decode_only);
        }
        "Empty" => {
            check::<Empty>(line, body, decode_only);
        }
        "PublishRequest" => {
            check::<PublishRequest>(line, body, decode_only);
        }
        "PublishResponse" => {
            check::<PublishResponse>(line, body, decode_only);
        }
        other => panic!("docs line {line}: unknown example type {other}"),
    }
}

#[test]
fn every_labelled_example_in_the_protocol_docs_matches_the_types() {
    let examples = examples();
    assert!(
        examples.len() > 40,
        "found only {} examples in docs/protocol.md",
        examples.len()
    );
    for ex in &examples {
        check_example(ex);
    }
}

#[test]
fn every_json_block_in_the_protocol_docs_is_labelled() {
    let lines: Vec<&str> = DOC.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.trim_start().starts_with("```json") {
            let labelled = i > 0 && lines[i - 1].trim().starts_with("<!-- example:");
            assert!(
                labelled,
                "docs line {}: JSON block without an example label",
                i + 1
            );
        }
    }
}

#[test]
fn docs_show_an_example_of_every_frame_type_and_event_kind() {
    let mut types = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    for ex in examples() {
        let bodies: Vec<String> = if ex.label == "transcript" {
            ex.body.lines().map(|l| l[3..].to_owned()).collect()
        } else if ex.label.starts_with("ClientFrame") || ex.label.starts_with("ServerFrame") {
            vec![ex.body.clone()]
        } else {
            continue;
        };
        for body in bodies {
            let v: Value = serde_json::from_str(&body).unwrap();
            types.insert(v["type"].as_str().unwrap_or_default().to_owned());
            if let Some(kind) = v["event"]["kind"].as_str() {
                kinds.insert(kind.to_owned());
            }
        }
    }
    for t in [
        "hello",
        "send_message",
        "mark_room_read",
        "mark_notification_read",
        "mark_all_notifications_read",
        "archive_notification",
        "snooze_notification",
        "load_history",
        "respond_friend_request",
        "ping",
        "typing",
        "welcome",
        "snapshot",
        "event",
        "reply",
        "error",
    ] {
        assert!(
            types.contains(t),
            "docs/protocol.md has no example of a `{t}` frame"
        );
    }
    for k in [
        "message_created",
        "room_created",
        "room_updated",
        "room_read",
        "notification_created",
        "notification_updated",
        "notifications_read_all",
        "friend_request_created",
        "friend_request_updated",
    ] {
        assert!(
            kinds.contains(k),
            "docs/protocol.md has no example of a `{k}` event"
        );
    }
}
