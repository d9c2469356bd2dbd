//! Property-style robustness test of the frame decoder: thousands of random byte strings and
//! mutations of valid frames must decode to *something* without panicking. (The cargo-fuzz
//! target in `fuzz/` explores the same function open-endedly.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use herald_protocol::wire::MAX_FRAME_BYTES;
use herald_server::ws::frame::{decode, Decoded};
use rand::{Rng, SeedableRng};

const VALID: [&str; 8] = [
    r#"{"type":"hello","protocol":1,"resume":{"epoch":"e","seq":3}}"#,
    r#"{"type":"send_message","id":"1","room_id":"r","client_msg_id":"c","text":"hi"}"#,
    r#"{"type":"mark_room_read","id":"2","room_id":"r","up_to":"m"}"#,
    r#"{"type":"snooze_notification","id":"3","notification_id":"n","until":"2030-01-01T00:00:00Z"}"#,
    r#"{"type":"load_history","id":"4","room_id":"r","before":"m","limit":100}"#,
    r#"{"type":"respond_friend_request","id":"5","request_id":"f","accept":true}"#,
    r#"{"type":"typing","room_id":"r","typing":true}"#,
    r#"{"type":"ping","id":"6"}"#,
];

#[test]
fn valid_frames_decode() {
    for v in VALID {
        assert!(matches!(decode(v.as_bytes()), Decoded::Frame(_)), "{v}");
    }
}

#[test]
fn random_bytes_and_mutated_frames_never_panic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x4e7a1d);
    let alphabet = br#"{}[]":,0123456789.-+eEtruefalsnl \"\\u00"#;
    for i in 0..20_000 {
        let bytes: Vec<u8> = match i % 4 {
            0 => (0..rng.gen_range(0..256)).map(|_| rng.gen()).collect(),
            1 => (0..rng.gen_range(0..256))
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect(),
            _ => {
                let mut b = VALID[rng.gen_range(0..VALID.len())].as_bytes().to_vec();
                for _ in 0..rng.gen_range(1..6) {
                    let at = rng.gen_range(0..=b.len());
                    match rng.gen_range(0..3) {
                        0 if at < b.len() => b[at] = rng.gen(),
                        1 if at < b.len() => {
                            b.remove(at);
                        }
                        _ => b.insert(at, alphabet[rng.gen_range(0..alphabet.len())]),
                    }
                }
                b
            }
        };
        let _ = decode(&bytes);
    }
    // Deep nesting and huge frames are bounded too.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(decode(deep.as_bytes()), Decoded::Invalid { .. }));
    assert_eq!(decode(&vec![b'1'; MAX_FRAME_BYTES + 1]), Decoded::TooLarge);
}
