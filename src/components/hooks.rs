//! Small hooks shared by components.

use herald_protocol::Timestamp;
use yew::prelude::*;

use crate::bridge;

/// The current time, re-read every `period_ms` (relative times, countdowns).
#[hook]
pub fn use_now(period_ms: u32) -> Timestamp {
    let now = use_state(bridge::now);
    {
        let now = now.clone();
        use_effect_with(period_ms, move |&ms| {
            let ticker = bridge::every(ms, move || now.set(bridge::now()));
            move || drop(ticker)
        });
    }
    *now
}
