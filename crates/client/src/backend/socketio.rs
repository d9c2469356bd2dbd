//! Socket.IO v4 over Engine.IO 4's WebSocket transport, as text packets: just enough of the
//! protocol for one client on the default namespace (no binary attachments, no polling).
//!
//! Engine.IO packets are a type digit and a payload: `0{"sid",…}` open, `2` ping (answered
//! with `3` pong), `4…` message, `1` close. A Socket.IO packet rides in a message: `40{…}`
//! connected (the client sends `40{auth}` to connect), `44{"message"}` connect refused
//! (the server's `ConnectionRefusedError`), `42["event", data]` an event, `41` disconnected.

use serde_json::Value;

/// The query a Socket.IO v4 WebSocket connection needs on its URL.
pub const QUERY: &str = "EIO=4&transport=websocket";

/// One decoded packet from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// Engine.IO handshake (`0{…}`): the server's ping interval in ms, if given.
    Open { ping_interval_ms: Option<u64> },
    /// Engine.IO ping: answer with [`PONG`].
    Ping,
    /// Socket.IO: connected to the namespace.
    Connected,
    /// Socket.IO: the connection was refused (bad token), with the server's message.
    ConnectRefused(String),
    /// Socket.IO: an event and its first argument (`Null` when none).
    Event(String, Value),
    /// The server closed the Socket.IO or Engine.IO session.
    Disconnected,
    /// Anything else (acks, binary placeholders, noop): ignored.
    Other,
}

/// The Engine.IO pong.
pub const PONG: &str = "3";

/// Decodes one text frame. Garbage decodes to `Other` (never an error: a backend's bad frame
/// is skipped, the connection kept).
pub fn decode(text: &str) -> Packet {
    let mut chars = text.chars();
    match chars.next() {
        Some('0') => {
            let interval = serde_json::from_str::<Value>(&text[1..])
                .ok()
                .and_then(|v| v.get("pingInterval").and_then(Value::as_u64));
            Packet::Open {
                ping_interval_ms: interval,
            }
        }
        Some('1') => Packet::Disconnected,
        Some('2') => Packet::Ping,
        Some('4') => decode_socketio(&text[1..]),
        _ => Packet::Other,
    }
}

fn decode_socketio(text: &str) -> Packet {
    let Some(kind) = text.chars().next() else {
        return Packet::Other;
    };
    // A namespace other than "/" would follow as "/nsp,"; Herald uses only the default one.
    let body = text[1..].trim_start_matches(|c: char| c.is_ascii_digit());
    match kind {
        '0' => Packet::Connected,
        '1' => Packet::Disconnected,
        '4' => {
            let msg = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "refused".to_owned());
            Packet::ConnectRefused(msg)
        }
        '2' => match serde_json::from_str::<Value>(body) {
            Ok(Value::Array(mut args)) if !args.is_empty() => {
                let data = if args.len() > 1 {
                    args.swap_remove(1)
                } else {
                    Value::Null
                };
                match &args[0] {
                    Value::String(name) => Packet::Event(name.clone(), data),
                    _ => Packet::Other,
                }
            }
            _ => Packet::Other,
        },
        _ => Packet::Other,
    }
}

/// The CONNECT packet for the default namespace with an `auth` payload.
pub fn connect(auth: &Value) -> String {
    format!("40{auth}")
}

/// An EVENT packet.
pub fn event(name: &str, data: &Value) -> String {
    let packet = Value::Array(vec![Value::String(name.to_owned()), data.clone()]);
    format!("42{packet}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_packets_a_python_socketio_server_sends() {
        assert_eq!(
            decode(r#"0{"sid":"x","upgrades":[],"pingTimeout":20000,"pingInterval":25000}"#),
            Packet::Open {
                ping_interval_ms: Some(25000)
            }
        );
        assert_eq!(decode("2"), Packet::Ping);
        assert_eq!(decode(r#"40{"sid":"abc"}"#), Packet::Connected);
        assert_eq!(
            decode(r#"44{"message":"unauthorized"}"#),
            Packet::ConnectRefused("unauthorized".into())
        );
        assert_eq!(
            decode(r#"42["notification",{"_id":"n1"}]"#),
            Packet::Event("notification".into(), json!({"_id": "n1"}))
        );
        assert_eq!(decode("41"), Packet::Disconnected);
        assert_eq!(decode("1"), Packet::Disconnected);
    }

    #[test]
    fn garbage_and_acks_decode_to_other_without_panicking() {
        for t in [
            "",
            "x",
            "4",
            "42",
            "42[",
            "42[1,2]",
            "42{}",
            "431[]",
            "9",
            "42[\"e\"",
            "\u{1F600}",
        ] {
            assert!(
                matches!(decode(t), Packet::Other | Packet::Disconnected),
                "{t:?}"
            );
        }
        assert_eq!(
            decode(r#"42["only-a-name"]"#),
            Packet::Event("only-a-name".into(), Value::Null)
        );
    }

    #[test]
    fn encodes_connect_with_auth_and_events() {
        assert_eq!(connect(&json!({"token": "t"})), r#"40{"token":"t"}"#);
        assert_eq!(event("typing", &json!({"a": 1})), r#"42["typing",{"a":1}]"#);
    }
}
