//! A room's messages: grouped by sender and day, own messages on the right, reply quotes, a
//! "New messages" divider with "jump to first unread", pending / failed states, and upward
//! infinite scroll that keeps the reading position.
//!
//! Windowed: only the newest [`WINDOW`] messages are in the DOM at first; scrolling to the top
//! reveals [`WINDOW`] more (then asks the core for older ones). The window slides: it never holds
//! more than [`MAX_ROWS`] messages, dropping rows at the far end (scrolling back down brings them
//! back), and the message at the edge being read stays where it was on screen. So a room with
//! 10k cached messages renders at most a few hundred rows wherever one scrolls.

use std::collections::HashMap;

use herald_protocol::ipc::{ChatMessage, Delivery, EngineCommand, ShellCommand};
use web_sys::Element;
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions;
use crate::components::format::{clock, day_label, segments, Segment};
use crate::components::hooks::use_now;
use crate::components::icons::{icon, Icon};
use crate::store::messages::MessagesState;
use crate::store::session::SessionState;

/// Messages rendered at first and revealed per step.
pub const WINDOW: usize = 60;
/// Most messages in the DOM at once.
pub const MAX_ROWS: usize = 3 * WINDOW;
/// Within this many pixels of an edge counts as "at" it.
const EDGE_PX: i32 = 48;
/// A new group starts after this long without a message from the same sender.
const GROUP_GAP_SECS: i64 = 5 * 60;

/// What the list renders between and around messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Day(String),
    NewMessages,
    /// A message; `head` = first of its group (shows name and time).
    Message {
        index: usize,
        head: bool,
    },
}

/// Lays out `messages[start..]`: day separators, the unread divider before `divider_key`,
/// and group heads. Pure.
pub fn layout(
    messages: &[ChatMessage],
    start: usize,
    divider_key: Option<&str>,
    now: herald_protocol::Timestamp,
    offset_secs: i32,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut prev: Option<&ChatMessage> = start.checked_sub(1).and_then(|i| messages.get(i));
    let mut prev_day = prev.map(|m| day_label(m.created_at, now, offset_secs));
    for (i, m) in messages.iter().enumerate().skip(start) {
        let day = day_label(m.created_at, now, offset_secs);
        let new_day = prev_day.as_deref() != Some(day.as_str()) || i == start;
        if new_day {
            rows.push(Row::Day(day.clone()));
        }
        let divider = divider_key == Some(m.key.as_str());
        if divider {
            rows.push(Row::NewMessages);
        }
        let head = new_day
            || divider
            || prev.is_none_or(|p| {
                p.sender.id != m.sender.id
                    || (m.created_at - p.created_at).whole_seconds() > GROUP_GAP_SECS
            });
        rows.push(Row::Message { index: i, head });
        prev = Some(m);
        prev_day = Some(day);
    }
    rows
}

/// Whether the "New messages" divider is out of sight above the viewport (or not rendered at
/// all, which with the window at the newest rows also means above): only then is "Jump to
/// first unread" worth showing.
fn divider_out_of_sight(scroller: &Element) -> bool {
    match scroller.query_selector("[data-testid=new-divider]") {
        Ok(Some(d)) => {
            d.get_bounding_client_rect().bottom() <= scroller.get_bounding_client_rect().top()
        }
        _ => true,
    }
}

/// A rendered message's offset from the top of the scroller's viewport.
fn offset_of(scroller: &Element, key: &str) -> Option<f64> {
    let el = scroller
        .query_selector(&format!("[data-key=\"{key}\"]"))
        .ok()
        .flatten()?;
    Some(el.get_bounding_client_rect().top() - scroller.get_bounding_client_rect().top())
}

/// What keeps the message `key` in place when rows are added or dropped around it.
fn anchor(scroller: &Element, key: &str) -> Option<(String, f64, i32)> {
    let offset = offset_of(scroller, key)?;
    let from_bottom = scroller.scroll_height() - scroller.scroll_top();
    Some((key.to_owned(), offset, from_bottom))
}

/// The first unread message when `unread` of them were unread at open (others' messages only).
pub fn first_unread_key(messages: &[ChatMessage], me: &str, unread: u32) -> Option<String> {
    if unread == 0 {
        return None;
    }
    let mut left = unread;
    for m in messages.iter().rev() {
        if m.sender.id != me {
            left -= 1;
            if left == 0 {
                return Some(m.key.clone());
            }
        }
    }
    messages
        .iter()
        .find(|m| m.sender.id != me)
        .map(|m| m.key.clone())
}

#[derive(Properties, PartialEq)]
pub struct MessageListProps {
    pub room_id: AttrValue,
    pub unread_at_open: u32,
    pub has_more: bool,
    pub on_reply: Callback<ChatMessage>,
}

/// Scroll bookkeeping between renders (no re-render needed for any of it).
#[derive(Default)]
struct ScrollMemo {
    at_bottom: bool,
    /// A message kept in place across a window change: its key and its offset from the top of
    /// the viewport before the change, and the distance from the bottom then (used when the
    /// message is gone, e.g. replaced by its stored copy under another key).
    anchor: Option<(String, f64, i32)>,
    /// Scroll to the bottom after the next render (the window went back to the newest rows).
    to_bottom: bool,
    last_key: Option<String>,
    first_render: bool,
    jump_to_divider: bool,
}

#[function_component(MessageList)]
pub fn message_list(p: &MessageListProps) -> Html {
    let room = {
        let id = p.room_id.to_string();
        use_selector_with_deps(|s: &MessagesState, id: &String| s.room(id), id)
    };
    let msgs_dispatch = use_dispatch::<MessagesState>();
    let me = use_selector(|s: &SessionState| s.user_id().unwrap_or_default().to_owned());
    let now = use_now(60_000);
    let offset = bridge::local_offset_secs(now);
    let list = room.messages.clone();
    // Key of the first rendered message (None: WINDOW before the end).
    let first_key = use_state(|| None::<String>);
    // Key of the last rendered message (None: the newest, following new ones).
    let end_key = use_state(|| None::<String>);
    let divider = use_state(|| None::<String>);
    let divider_hidden = use_state(|| false);
    let memo = use_mut_ref(|| ScrollMemo {
        at_bottom: true,
        first_render: true,
        ..ScrollMemo::default()
    });
    let scroller = use_node_ref();

    // Resolve the divider once the messages are there.
    if divider.is_none() && p.unread_at_open > 0 && !list.is_empty() {
        if let Some(k) = first_unread_key(&list, &me, p.unread_at_open) {
            divider.set(Some(k));
        }
    }

    let end = match end_key
        .as_ref()
        .and_then(|k| list.iter().position(|m| &m.key == k))
    {
        Some(i) => i + 1,
        None => list.len(),
    };
    let start = match first_key
        .as_ref()
        .and_then(|k| list.iter().position(|m| &m.key == k))
    {
        Some(i) => i.min(end),
        None => end.saturating_sub(WINDOW),
    };
    let has_more = room.has_more.unwrap_or(p.has_more);

    let reveal_older = {
        let (first_key, end_key, list, memo, scroller) = (
            first_key.clone(),
            end_key.clone(),
            list.clone(),
            memo.clone(),
            scroller.clone(),
        );
        let (room_id, msgs_dispatch, loading) = (
            p.room_id.to_string(),
            msgs_dispatch.clone(),
            room.loading_older,
        );
        move || {
            if start > 0 {
                if let (Some(el), Some(m)) = (scroller.cast::<Element>(), list.get(start)) {
                    memo.borrow_mut().anchor = anchor(&el, &m.key);
                }
                let s = start.saturating_sub(WINDOW);
                first_key.set(list.get(s).map(|m| m.key.clone()));
                if end - s > MAX_ROWS {
                    end_key.set(list.get(s + MAX_ROWS - 1).map(|m| m.key.clone()));
                }
            } else if has_more && !loading {
                actions::load_older(&msgs_dispatch, &room_id);
            }
        }
    };

    // Scrolled down to the end of a window that stops short of the newest message.
    let reveal_newer = {
        let (first_key, end_key, list, memo, scroller) = (
            first_key.clone(),
            end_key.clone(),
            list.clone(),
            memo.clone(),
            scroller.clone(),
        );
        move || {
            let len = list.len();
            if end >= len {
                return;
            }
            if let (Some(el), Some(m)) =
                (scroller.cast::<Element>(), list.get(end.saturating_sub(1)))
            {
                memo.borrow_mut().anchor = anchor(&el, &m.key);
            }
            let e = (end + WINDOW).min(len);
            end_key.set((e < len).then(|| list[e - 1].key.clone()));
            if e - start > MAX_ROWS {
                first_key.set(list.get(e - MAX_ROWS).map(|m| m.key.clone()));
            }
        }
    };

    let onscroll = {
        let (memo, scroller, first_key) = (memo.clone(), scroller.clone(), first_key.clone());
        let divider_hidden = divider_hidden.clone();
        let reveal_older = reveal_older.clone();
        let reveal_newer = reveal_newer.clone();
        let following = end == list.len();
        let first_rendered = list.get(start).map(|m| m.key.clone());
        Callback::from(move |_: Event| {
            let Some(el) = scroller.cast::<Element>() else {
                return;
            };
            let bottom = el.scroll_height() - el.scroll_top() - el.client_height() <= EDGE_PX;
            memo.borrow_mut().at_bottom = bottom;
            let hidden = divider_out_of_sight(&el);
            if *divider_hidden != hidden {
                divider_hidden.set(hidden);
            }
            if !bottom && first_key.is_none() {
                // Reading back: pin the window so new messages do not shift it.
                first_key.set(first_rendered.clone());
            }
            if el.scroll_top() <= EDGE_PX {
                reveal_older();
            } else if bottom && !following {
                reveal_newer();
            } else if bottom && first_key.is_some() {
                // Back at the newest: trim to the last WINDOW and follow new messages again.
                first_key.set(None);
                memo.borrow_mut().to_bottom = true;
            }
        })
    };

    // After every render: keep the position when older rows appeared, follow new messages when
    // at the bottom, or jump to the divider.
    {
        let (memo, scroller) = (memo.clone(), scroller.clone());
        let last_key = list.last().map(|m| m.key.clone());
        let following = end == list.len();
        let loading = room.loading_older;
        let history_failed = room.error.is_some();
        let reveal_older = reveal_older.clone();
        let divider_hidden = divider_hidden.clone();
        use_effect(move || {
            let Some(el) = scroller.cast::<Element>() else {
                return;
            };
            let mut m = memo.borrow_mut();
            if m.jump_to_divider {
                m.jump_to_divider = false;
                if let Ok(Some(d)) = el.query_selector("[data-testid=new-divider]") {
                    el.set_scroll_top(
                        d.get_bounding_client_rect().top() as i32
                            - el.get_bounding_client_rect().top() as i32
                            + el.scroll_top()
                            - 8,
                    );
                }
            } else if let Some((key, before, from_bottom)) = m.anchor.take() {
                match offset_of(&el, &key) {
                    Some(after) => {
                        el.set_scroll_top(el.scroll_top() + (after - before).round() as i32)
                    }
                    None => el.set_scroll_top(el.scroll_height() - from_bottom),
                }
            } else if std::mem::take(&mut m.to_bottom)
                || m.first_render
                || (following && m.at_bottom && m.last_key != last_key)
            {
                el.set_scroll_top(el.scroll_height());
            }
            let hidden = divider_out_of_sight(&el);
            if *divider_hidden != hidden {
                divider_hidden.set(hidden);
            }
            let grew_older = m.last_key == last_key && !m.first_render;
            m.first_render = false;
            m.last_key = last_key;
            drop(m);
            // Older messages arrived while still at the top: show them.
            if grew_older && !loading && el.scroll_top() <= EDGE_PX && start > 0 {
                reveal_older();
            } else if !loading
                && !history_failed
                && (start > 0 || has_more)
                && el.scroll_height() <= el.client_height()
            {
                // Too few rows to scroll (e.g. only the cached last message): no scroll event
                // can ever ask for older ones, so ask now.
                reveal_older();
            }
        });
    }

    let by_id: HashMap<&str, &ChatMessage> = list
        .iter()
        .filter_map(|m| m.id.as_deref().map(|id| (id, m)))
        .collect();
    let rows = layout(&list[..end], start, divider.as_deref(), now, offset);
    let jump = {
        let (divider, list, first_key, end_key, memo) = (
            divider.clone(),
            list.clone(),
            first_key.clone(),
            end_key.clone(),
            memo.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = divider
                .as_ref()
                .and_then(|k| list.iter().position(|m| &m.key == k))
            {
                let s = i.saturating_sub(5);
                first_key.set(list.get(s).map(|m| m.key.clone()));
                let e = (s + MAX_ROWS).min(list.len());
                end_key.set((e < list.len()).then(|| list[e - 1].key.clone()));
                memo.borrow_mut().jump_to_divider = true;
            }
        })
    };

    html! {
        <div class="messages" ref={scroller} {onscroll} data-testid="messages" role="log" aria-label="Messages">
            if room.loading_older {
                <div class="loading-older" data-testid="loading-older"><span class="spinner small"></span>{ "Loading older messages…" }</div>
            } else if start == 0 && !has_more && !list.is_empty() {
                <div class="history-start">{ "This is the beginning of the conversation" }</div>
            }
            if let Some(err) = &room.error {
                <div class="history-error" role="alert">{ err.message.clone() }</div>
            }
            if list.is_empty() && !room.loading_older {
                <p class="empty">{ icon(Icon::Chat) }<span>{ "No messages yet — say hello" }</span></p>
            }
            if divider.is_some() && *divider_hidden {
                <button type="button" class="jump-unread" onclick={jump} data-testid="jump-unread">
                    { icon(Icon::ArrowDown) }{ format!("{} new · Jump to first unread", p.unread_at_open) }
                </button>
            }
            { for rows.into_iter().map(|row| match row {
                Row::Day(label) => html! { <div class="day-separator" key={format!("day-{label}")}><span>{ label }</span></div> },
                Row::NewMessages => html! { <div class="new-divider" key="new-divider" data-testid="new-divider"><span>{ "New messages" }</span></div> },
                Row::Message { index, head } => {
                    let m = &list[index];
                    let quote = m.reply_to.as_deref().map(|id| by_id.get(id).map(|q| (q.sender.name.clone(), q.text.clone())));
                    html! { <MessageItem key={m.key.clone()} message={m.clone()} own={m.sender.id == *me} {head} {offset} {quote} on_reply={p.on_reply.clone()} /> }
                }
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct MessageItemProps {
    pub message: ChatMessage,
    pub own: bool,
    pub head: bool,
    pub offset: i32,
    /// The quoted message: Some(None) when it is not loaded.
    pub quote: Option<Option<(String, String)>>,
    pub on_reply: Callback<ChatMessage>,
}

/// Message text as text, with links that open in the system browser.
pub fn message_text(text: &str) -> Html {
    html! {
        <>{ for segments(text).into_iter().map(|s| match s {
            Segment::Text(t) => html! { { t } },
            Segment::Link(url) => {
                let target = url.clone();
                let onclick = Callback::from(move |e: MouseEvent| {
                    e.prevent_default();
                    bridge::send(ShellCommand::OpenUrl { url: target.clone() });
                });
                html! { <a class="link" href={url.clone()} {onclick} rel="noopener noreferrer">{ url }</a> }
            }
        }) }</>
    }
}

#[function_component(MessageItem)]
pub fn message_item(p: &MessageItemProps) -> Html {
    let m = &p.message;
    let key = m.key.clone();
    let status = match &m.delivery {
        Delivery::Sent => html! {},
        Delivery::Pending => html! {
            <span class="delivery pending" title="Sending…" aria-label="Sending" data-testid="pending">{ icon(Icon::Clock) }</span>
        },
        Delivery::Failed { reason, .. } => {
            let (k1, k2) = (key.clone(), key.clone());
            html! {
                <span class="delivery failed" data-testid="failed">
                    { icon(Icon::Alert) }<span class="failed-reason">{ format!("Not sent: {reason}") }</span>
                    <button type="button" class="text-button" data-testid="retry-send"
                        onclick={Callback::from(move |_: MouseEvent| bridge::send(EngineCommand::RetrySend { key: k1.clone() }))}>{ "Retry" }</button>
                    <button type="button" class="text-button danger" data-testid="discard-send"
                        onclick={Callback::from(move |_: MouseEvent| bridge::send(EngineCommand::DiscardSend { key: k2.clone() }))}>{ "Discard" }</button>
                </span>
            }
        }
    };
    let reply = {
        let (m, cb) = (m.clone(), p.on_reply.clone());
        Callback::from(move |_: MouseEvent| cb.emit(m.clone()))
    };
    html! {
        <div class={classes!("message", p.own.then_some("own"), p.head.then_some("head"), matches!(m.delivery, Delivery::Failed { .. }).then_some("is-failed"))}
            data-testid="message" data-key={m.key.clone()}>
            if p.head {
                <div class="message-meta">
                    if !p.own { <span class="sender">{ m.sender.name.clone() }</span> }
                    <span class="time">{ clock(m.created_at, p.offset) }</span>
                </div>
            }
            <div class="bubble-row">
                <div class="bubble">
                    if let Some(q) = &p.quote {
                        <div class="quote" data-testid="quote">
                            if let Some((who, text)) = q { <strong>{ who.clone() }</strong><span>{ text.clone() }</span> }
                            else { <span class="muted">{ "Original message not loaded" }</span> }
                        </div>
                    }
                    <span class="message-text" data-testid="message-text">{ message_text(&m.text) }</span>
                </div>
                if m.id.is_some() {
                    <button type="button" class="icon-button tiny reply-button" aria-label="Reply" title="Reply" onclick={reply}>{ icon(Icon::Back) }</button>
                }
            </div>
            { status }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::*;

    #[test]
    fn layout_groups_by_sender_and_day_with_the_divider() {
        let msgs = room_messages();
        let rows = layout(&msgs, 0, Some("m5"), at(0), 0);
        let heads: Vec<(usize, bool)> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Message { index, head } => Some((*index, *head)),
                _ => None,
            })
            .collect();
        assert_eq!(
            heads,
            vec![
                (0, true),
                (1, true),
                (2, true),
                (3, true),
                (4, true),
                (5, true),
                (6, false)
            ]
        );
        assert_eq!(rows[0], Row::Day("Yesterday".into()));
        assert!(rows.contains(&Row::Day("Today".into())));
        let div = rows.iter().position(|r| *r == Row::NewMessages);
        assert_eq!(
            rows[div.unwrap_or(0) + 1],
            Row::Message {
                index: 4,
                head: true
            }
        );
    }

    #[test]
    fn first_unread_counts_only_others_messages() {
        let msgs = room_messages();
        assert_eq!(first_unread_key(&msgs, "alice", 0), None);
        assert_eq!(first_unread_key(&msgs, "alice", 1).as_deref(), Some("m5"));
        assert_eq!(first_unread_key(&msgs, "alice", 2).as_deref(), Some("m4"));
        assert_eq!(first_unread_key(&msgs, "alice", 99).as_deref(), Some("m1"));
    }
}
