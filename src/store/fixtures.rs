//! Sample data: the demo shop's rooms, messages and notifications, for the native reducer
//! tests, the component tests in headless Chromium and the screenshots.

use herald_protocol::ipc::{
    ChatMessage, ConnStatus, Delivery, RoomView, Session, Settings, Toast, ToastKind, ViewState,
};
use herald_protocol::wire::{
    FriendRequest, FriendRequestStatus, Link, Message, Notification, NotificationKind, Room,
    RoomKind, User,
};
use herald_protocol::Timestamp;

/// A fixed "now": 2025-10-25 14:00:00 UTC.
pub const NOW_UNIX: i64 = 1_761_400_800;

pub fn at(secs_before_now: i64) -> Timestamp {
    Timestamp::from_unix_timestamp(NOW_UNIX - secs_before_now).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub fn user(id: &str) -> User {
    let mut name = id.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    User {
        id: id.to_owned(),
        name,
    }
}

pub fn signed_in() -> Session {
    Session::SignedIn {
        server_url: "http://127.0.0.1:8080".into(),
        user: user("alice"),
    }
}

pub fn message(room: &str, key: &str, from: &str, text: &str, secs_ago: i64) -> ChatMessage {
    ChatMessage {
        key: key.to_owned(),
        id: Some(key.to_owned()),
        room_id: room.to_owned(),
        sender: user(from),
        text: text.to_owned(),
        reply_to: None,
        created_at: at(secs_ago),
        delivery: Delivery::Sent,
    }
}

pub fn room(id: &str, name: &str, unread: u32, last: Option<(&str, &str, i64)>) -> RoomView {
    let last_message = last.map(|(from, text, ago)| Message {
        id: format!("{id}-last"),
        room_id: id.to_owned(),
        sender: user(from),
        text: text.to_owned(),
        client_msg_id: None,
        reply_to: None,
        created_at: at(ago),
        edited_at: None,
    });
    let updated = last.map(|l| l.2).unwrap_or(86_400);
    RoomView {
        room: Room {
            id: id.to_owned(),
            name: name.to_owned(),
            kind: if name.starts_with("Job") {
                RoomKind::Job
            } else {
                RoomKind::General
            },
            members: vec![user("alice"), user("bob"), user("carol")],
            unread_count: unread,
            last_message,
            updated_at: at(updated),
        },
        muted: false,
        draft: String::new(),
        typing: Vec::new(),
        has_more: true,
    }
}

pub fn notification(id: &str, kind: NotificationKind, title: &str, secs_ago: i64) -> Notification {
    Notification {
        id: id.to_owned(),
        body: match kind {
            NotificationKind::LowStock => "Only 3 left of Blue Mug (SKU-1042)".into(),
            NotificationKind::OutOfStock => "Red Scarf (SKU-2210) is sold out".into(),
            NotificationKind::SaleCompleted => "Order #1187 · $42.50 paid by card".into(),
            NotificationKind::FriendRequest => "Dave wants to connect".into(),
            NotificationKind::Mention => "Bob mentioned you in Job #12".into(),
            _ => "Scheduled maintenance tonight at 23:00".into(),
        },
        kind,
        title: title.to_owned(),
        priority: 3,
        link: None,
        meta: Default::default(),
        created_at: at(secs_ago),
        read: false,
        archived: false,
        snoozed_until: None,
    }
}

pub fn notifications() -> Vec<Notification> {
    let mut mention = notification("n5", NotificationKind::Mention, "You were mentioned", 60);
    mention.link = Some(Link {
        room_id: Some("r1".into()),
        url: None,
    });
    let mut sale = notification(
        "n3",
        NotificationKind::SaleCompleted,
        "Sale completed",
        3_600,
    );
    sale.read = true;
    vec![
        mention,
        notification("n4", NotificationKind::LowStock, "Low stock", 600),
        sale,
        notification("n2", NotificationKind::OutOfStock, "Out of stock", 7_200),
        notification("n1", NotificationKind::SystemAlert, "System alert", 90_000),
        notification(
            "n0",
            NotificationKind::FriendRequest,
            "Friend request",
            180_000,
        ),
    ]
}

pub fn rooms() -> Vec<RoomView> {
    let mut support = room(
        "r2",
        "Support",
        0,
        Some(("carol", "The refund went through", 1_800)),
    );
    support.muted = true;
    vec![
        room(
            "r1",
            "Job #12",
            2,
            Some(("bob", "Can you check the stock?", 120)),
        ),
        support,
        room(
            "r3",
            "General",
            0,
            Some(("alice", "See you tomorrow", 86_000)),
        ),
    ]
}

pub fn room_messages() -> Vec<ChatMessage> {
    let mut own_pending = message("r1", "m6", "alice", "On my way", 30);
    own_pending.id = None;
    own_pending.delivery = Delivery::Pending;
    let mut own_failed = message("r1", "m7", "alice", "Photo attached", 20);
    own_failed.id = None;
    own_failed.delivery = Delivery::Failed {
        code: herald_protocol::ipc::ErrorCode::ServerUnreachable,
        reason: "The server could not be reached".into(),
    };
    let mut reply = message("r1", "m5", "bob", "Can you check the stock?", 120);
    reply.reply_to = Some("m2".into());
    vec![
        message("r1", "m1", "bob", "Morning! Job #12 is confirmed.", 90_000),
        message(
            "r1",
            "m2",
            "alice",
            "Great, I'll bring the supplies",
            89_900,
        ),
        message(
            "r1",
            "m3",
            "bob",
            "Details: https://example.com/jobs/12",
            600,
        ),
        message("r1", "m4", "carol", "<b>not bold</b> & stays text", 300),
        reply,
        own_pending,
        own_failed,
    ]
}

pub fn friend_requests() -> Vec<FriendRequest> {
    vec![
        FriendRequest {
            id: "f1".into(),
            from: user("dave"),
            to: user("alice"),
            status: FriendRequestStatus::Pending,
            created_at: at(500),
        },
        FriendRequest {
            id: "f2".into(),
            from: user("alice"),
            to: user("erin"),
            status: FriendRequestStatus::Accepted,
            created_at: at(50_000),
        },
    ]
}

pub fn toast(id: &str, room: Option<&str>) -> Toast {
    Toast {
        id: id.to_owned(),
        kind: if room.is_some() {
            ToastKind::Message
        } else {
            ToastKind::Notification {
                kind: NotificationKind::LowStock,
            }
        },
        title: if room.is_some() {
            "Bob in Job #12".into()
        } else {
            "Low stock".into()
        },
        body: if room.is_some() {
            "Can you check the stock?".into()
        } else {
            "Only 3 left of Blue Mug (SKU-1042)".into()
        },
        room_id: room.map(str::to_owned),
        notification_id: None,
    }
}

pub fn view_state() -> ViewState {
    ViewState {
        session: signed_in(),
        connection: ConnStatus::Connected,
        rooms: rooms(),
        active_room: None,
        messages: room_messages(),
        notifications: notifications(),
        notifications_unread: 5,
        notifications_has_more: true,
        friend_requests: friend_requests(),
        settings: Settings {
            muted_rooms: vec!["r2".into()],
            ..Settings::default()
        },
        backend: Default::default(),
        storage_problem: None,
    }
}
