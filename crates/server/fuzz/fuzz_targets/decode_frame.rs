//! Fuzzes the client-frame decoder: whatever the bytes, `decode` returns and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = herald_server::ws::frame::decode(data);
});
