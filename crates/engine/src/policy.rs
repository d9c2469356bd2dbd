//! Notification policy: which events become a toast and a native notification (the rules are listed in ARCHITECTURE.md, "Notification policy").
//!
//! The rules live in one place so the UI and the desktop shell never decide them: never for
//! your own messages; never twice for one message or notification id (the dedupe set is
//! persisted, so neither a replay nor a restart repeats one); suppressed only when that room is
//! active AND the window focused; muted rooms, do-not-disturb and quiet hours respected;
//! mentions-only honoured; and bursts coalesced per room into one summary that replaces the
//! earlier notification (same id) at most once per burst window.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use herald_protocol::ipc::{QuietHours, Settings, Toast, ToastKind};
use herald_protocol::wire::{Message, Notification, NotificationKind, Room, RoomKind};
use herald_protocol::Timestamp;
use serde::{Deserialize, Serialize};

/// A request to show an OS notification. The shell shows it; one with the same `id` as a
/// visible one replaces it (a coalesced burst).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeNotification {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Clicking it focuses the window and opens this room.
    pub room_id: Option<String>,
    /// The bell item it shows (one, not a coalesced summary): a click marks it read.
    pub notification_id: Option<String>,
    /// The bell item's web link (one item, not a summary): a click opens it in the browser,
    /// through the same scheme filter as the UI's links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// 1..=5 (3 normal); maps to the OS urgency.
    pub priority: u8,
}

/// One decision the policy produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub toast: Toast,
    /// `None` when only a toast is allowed (quiet hours).
    pub native: Option<NativeNotification>,
}

/// Why an item did not notify; returned for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Notify,
    Coalesced,
    OwnMessage,
    Duplicate,
    ActiveAndFocused,
    Muted,
    DoNotDisturb,
    NotAMention,
    AlreadyRead,
}

/// What the policy needs to know about the user's situation right now.
#[derive(Debug, Clone)]
pub struct PolicyContext<'a> {
    pub me: Option<&'a str>,
    pub my_name: Option<&'a str>,
    pub active_room: Option<&'a str>,
    pub focused: bool,
    pub settings: &'a Settings,
    /// Local wall time (the offset is the user's), for quiet hours.
    pub local: time::OffsetDateTime,
}

#[derive(Debug, Clone)]
struct Burst {
    title: String,
    count: u32,
    latest: String,
    room_id: Option<String>,
    notification_id: Option<String>,
    url: Option<String>,
    kind: ToastKind,
    priority: u8,
    last_emit: Option<Instant>,
    dirty: bool,
    quiet: bool,
}

/// The policy state: the dedupe set and the open bursts.
#[derive(Debug)]
pub struct Policy {
    notified: HashSet<String>,
    bursts: BTreeMap<String, Burst>,
    window: Duration,
}

/// Dedupe key of a message.
pub fn message_key(id: &str) -> String {
    format!("m:{id}")
}

/// Dedupe key of a server notification.
pub fn notification_key(id: &str) -> String {
    format!("n:{id}")
}

/// The toast id of a room's burst: one per room, reused while the burst lasts.
pub fn room_toast_id(room_id: &str) -> String {
    format!("room:{room_id}")
}

const BELL_BURST: &str = "bell";

/// Bell items at this priority or above notify even in "mentions only" mode.
pub const URGENT: u8 = 4;

impl Policy {
    pub fn new(notified: HashSet<String>, window: Duration) -> Self {
        Self {
            notified,
            bursts: BTreeMap::new(),
            window,
        }
    }

    pub fn was_notified(&self, key: &str) -> bool {
        self.notified.contains(key)
    }

    /// A new chat message arrived (live or replayed). `new_keys` collects dedupe keys to persist.
    pub fn on_message(
        &mut self,
        now: Instant,
        msg: &Message,
        room: Option<&Room>,
        ctx: &PolicyContext<'_>,
        new_keys: &mut Vec<String>,
        alerts: &mut Vec<Alert>,
    ) -> Verdict {
        if ctx.me == Some(msg.sender.id.as_str()) {
            return Verdict::OwnMessage;
        }
        let key = message_key(&msg.id);
        if !self.notified.insert(key.clone()) {
            return Verdict::Duplicate;
        }
        new_keys.push(key);
        if ctx.focused && ctx.active_room == Some(msg.room_id.as_str()) {
            return Verdict::ActiveAndFocused;
        }
        if ctx.settings.muted_rooms.iter().any(|r| r == &msg.room_id) {
            return Verdict::Muted;
        }
        if ctx.settings.dnd {
            return Verdict::DoNotDisturb;
        }
        let direct = room.map(|r| r.kind == RoomKind::Direct).unwrap_or(false);
        if ctx.settings.mentions_only && !direct && !mentions(&msg.text, ctx.my_name) {
            return Verdict::NotAMention;
        }
        let room_name = room
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "a room".to_owned());
        let latest = if ctx.settings.previews {
            format!("{}: {}", msg.sender.name, msg.text)
        } else {
            format!("New message from {}", msg.sender.name)
        };
        let burst_key = room_toast_id(&msg.room_id);
        let quiet = in_quiet_hours(ctx.settings.quiet_hours.as_ref(), ctx.local);
        let burst = self.bursts.entry(burst_key).or_insert_with(|| Burst {
            title: room_name.clone(),
            count: 0,
            latest: String::new(),
            room_id: Some(msg.room_id.clone()),
            notification_id: None,
            url: None,
            kind: ToastKind::Message,
            priority: 3,
            last_emit: None,
            dirty: false,
            quiet,
        });
        burst.title = room_name;
        burst.count += 1;
        burst.latest = latest;
        burst.quiet = quiet;
        self.bump(now, &room_toast_id(&msg.room_id), alerts)
    }

    /// A new server notification (the bell) arrived.
    pub fn on_notification(
        &mut self,
        now: Instant,
        n: &Notification,
        ctx: &PolicyContext<'_>,
        new_keys: &mut Vec<String>,
        alerts: &mut Vec<Alert>,
    ) -> Verdict {
        self.bell(now, notification_key(&n.id), n, ctx, new_keys, alerts)
    }

    /// A snoozed bell item's time came: it is announced again, under the same rules as a new
    /// one, once per snooze (the key names the snooze's end, so a later snooze announces again).
    pub fn on_snooze_ended(
        &mut self,
        now: Instant,
        n: &Notification,
        until: Timestamp,
        ctx: &PolicyContext<'_>,
        new_keys: &mut Vec<String>,
        alerts: &mut Vec<Alert>,
    ) -> Verdict {
        let key = format!("snooze:{}:{}", n.id, until.unix_timestamp());
        self.bell(now, key, n, ctx, new_keys, alerts)
    }

    fn bell(
        &mut self,
        now: Instant,
        key: String,
        n: &Notification,
        ctx: &PolicyContext<'_>,
        new_keys: &mut Vec<String>,
        alerts: &mut Vec<Alert>,
    ) -> Verdict {
        if !self.notified.insert(key.clone()) {
            return Verdict::Duplicate;
        }
        new_keys.push(key);
        if n.read || n.archived {
            return Verdict::AlreadyRead;
        }
        // A bell item about a muted room is as quiet as the room's messages.
        let room = n.link.as_ref().and_then(|l| l.room_id.as_deref());
        if room.is_some_and(|r| ctx.settings.muted_rooms.iter().any(|m| m == r)) {
            return Verdict::Muted;
        }
        if ctx.settings.dnd {
            return Verdict::DoNotDisturb;
        }
        // "Mentions only" quiets chatter, not alerts: an urgent item (priority 4 or 5, e.g. out
        // of stock) still notifies; the settings text says so.
        if ctx.settings.mentions_only && n.kind != NotificationKind::Mention && n.priority < URGENT
        {
            return Verdict::NotAMention;
        }
        let quiet = in_quiet_hours(ctx.settings.quiet_hours.as_ref(), ctx.local);
        let burst = self
            .bursts
            .entry(BELL_BURST.to_owned())
            .or_insert_with(|| Burst {
                title: String::new(),
                count: 0,
                latest: String::new(),
                room_id: None,
                notification_id: None,
                url: None,
                kind: ToastKind::Notification {
                    kind: n.kind.clone(),
                },
                priority: n.priority,
                last_emit: None,
                dirty: false,
                quiet,
            });
        burst.count += 1;
        burst.title = n.title.clone();
        burst.latest = n.body.clone();
        burst.kind = ToastKind::Notification {
            kind: n.kind.clone(),
        };
        burst.notification_id = Some(n.id.clone());
        burst.room_id = n.link.as_ref().and_then(|l| l.room_id.clone());
        burst.url = n.link.as_ref().and_then(|l| l.url.clone());
        burst.priority = burst.priority.max(n.priority);
        burst.quiet = quiet;
        self.bump(now, BELL_BURST, alerts)
    }

    fn bump(&mut self, now: Instant, key: &str, alerts: &mut Vec<Alert>) -> Verdict {
        let window = self.window;
        let Some(b) = self.bursts.get_mut(key) else {
            return Verdict::Notify;
        };
        match b.last_emit {
            Some(t) if now < t + window => {
                b.dirty = true;
                Verdict::Coalesced
            }
            _ => {
                b.last_emit = Some(now);
                b.dirty = false;
                alerts.push(render(key, b));
                Verdict::Notify
            }
        }
    }

    /// Flushes bursts whose window passed with coalesced items pending.
    pub fn handle_timeout(&mut self, now: Instant, alerts: &mut Vec<Alert>) {
        let window = self.window;
        for (key, b) in self.bursts.iter_mut() {
            if b.dirty && b.last_emit.map(|t| now >= t + window).unwrap_or(true) {
                b.last_emit = Some(now);
                b.dirty = false;
                alerts.push(render(key, b));
            }
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let window = self.window;
        self.bursts
            .values()
            .filter(|b| b.dirty)
            .filter_map(|b| b.last_emit.map(|t| t + window))
            .min()
    }

    /// The room was opened (or read): its burst ends and its toasts are withdrawn.
    pub fn room_opened(&mut self, room_id: &str) -> bool {
        self.bursts.remove(&room_toast_id(room_id)).is_some()
    }

    /// The UI dismissed a toast: the next item starts a fresh count.
    pub fn dismissed(&mut self, toast_id: &str) {
        self.bursts.remove(toast_id);
    }

    /// Signed out: bursts end (the dedupe set is the store's and goes with the profile).
    pub fn clear(&mut self) {
        self.bursts.clear();
        self.notified.clear();
    }
}

fn render(key: &str, b: &Burst) -> Alert {
    let (title, body) = match (&b.kind, b.count) {
        (_, 0 | 1) => (b.title.clone(), b.latest.clone()),
        (ToastKind::Message, n) => (b.title.clone(), format!("{n} new messages in {}", b.title)),
        (ToastKind::Notification { .. }, n) => {
            ("Notifications".to_owned(), format!("{n} new notifications"))
        }
    };
    let toast = Toast {
        id: key.to_owned(),
        kind: b.kind.clone(),
        title: title.clone(),
        body: body.clone(),
        room_id: b.room_id.clone(),
        notification_id: b.notification_id.clone(),
    };
    // A summary of several bell items is not one item: its click opens the window only.
    let single = b.count <= 1 || matches!(b.kind, ToastKind::Message);
    let native = (!b.quiet).then(|| NativeNotification {
        id: key.to_owned(),
        title,
        body,
        room_id: b.room_id.clone(),
        notification_id: b.notification_id.clone().filter(|_| single),
        url: b.url.clone().filter(|_| single),
        priority: b.priority,
    });
    Alert { toast, native }
}

/// Whether `text` mentions `name` as `@name` (case-insensitive).
pub fn mentions(text: &str, name: Option<&str>) -> bool {
    let Some(name) = name else { return false };
    let needle = format!("@{}", name.to_lowercase());
    text.to_lowercase().contains(&needle)
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Whether `local` falls in the quiet window; `from > to` spans midnight, `from == to` is empty.
pub fn in_quiet_hours(q: Option<&QuietHours>, local: time::OffsetDateTime) -> bool {
    let Some(q) = q else { return false };
    let (Some(from), Some(to)) = (parse_hhmm(&q.from), parse_hhmm(&q.to)) else {
        return false;
    };
    let t = u16::from(local.hour()) * 60 + u16::from(local.minute());
    if from <= to {
        t >= from && t < to
    } else {
        t >= from || t < to
    }
}
