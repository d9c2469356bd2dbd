//! Decoding client frames: the one function that sees every byte a client sends, so it must
//! never panic (it is fuzzed: `fuzz/` and the property test in `tests/frame_decoder.rs`).

use herald_protocol::wire::{ClientFrame, MAX_FRAME_BYTES};
use serde_json::Value;

/// What a received text or binary frame turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A frame of a known type with valid fields.
    Frame(Box<ClientFrame>),
    /// Over [`MAX_FRAME_BYTES`].
    TooLarge,
    /// Not a frame we understand. `id` is the request id when one could be read (the client
    /// then gets a `reply {id, error}`), `None` for garbage or unknown types (an `error` frame).
    Invalid { id: Option<String>, reason: String },
}

/// Decodes one frame. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8]) -> Decoded {
    if bytes.len() > MAX_FRAME_BYTES {
        return Decoded::TooLarge;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Decoded::Invalid {
            id: None,
            reason: "frame is not UTF-8 text".into(),
        };
    };
    match serde_json::from_str::<ClientFrame>(text) {
        Ok(ClientFrame::Unknown) => Decoded::Invalid {
            id: None,
            reason: "unknown frame type".into(),
        },
        Ok(frame) => Decoded::Frame(Box::new(frame)),
        Err(e) => {
            // A known request with bad fields still gets a reply to its id.
            let id = serde_json::from_str::<Value>(text).ok().and_then(|v| {
                let typed = v.get("type").and_then(Value::as_str).is_some();
                v.get("id")
                    .and_then(Value::as_str)
                    .filter(|_| typed)
                    .map(str::to_owned)
            });
            Decoded::Invalid {
                id,
                reason: format!("invalid frame: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_hello_decodes() {
        let d = decode(br#"{"type":"hello","protocol":1,"resume":null}"#);
        assert!(matches!(d, Decoded::Frame(f) if matches!(*f, ClientFrame::Hello(_))));
    }

    #[test]
    fn unknown_type_and_garbage_are_invalid_without_id() {
        assert_eq!(
            decode(br#"{"type":"fly","id":"1"}"#),
            Decoded::Invalid {
                id: None,
                reason: "unknown frame type".into()
            }
        );
        assert!(matches!(
            decode(b"{nope"),
            Decoded::Invalid { id: None, .. }
        ));
        assert!(matches!(
            decode(&[0xff, 0xfe]),
            Decoded::Invalid { id: None, .. }
        ));
    }

    #[test]
    fn known_request_with_bad_fields_keeps_its_id() {
        let d = decode(br#"{"type":"send_message","id":"r1","room_id":5}"#);
        assert!(matches!(d, Decoded::Invalid { id: Some(id), .. } if id == "r1"));
    }

    #[test]
    fn oversize_frame_is_too_large() {
        assert_eq!(decode(&vec![b' '; MAX_FRAME_BYTES + 1]), Decoded::TooLarge);
    }
}
