//! Inline SVG icons (24×24, stroked with `currentColor`), so they follow the theme and need no
//! remote or extra resources.

use herald_protocol::wire::NotificationKind;
use yew::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Chat,
    Bell,
    User,
    Settings,
    Users,
    SignOut,
    Close,
    Back,
    Muted,
    Unmuted,
    Clock,
    Alert,
    Retry,
    Trash,
    Send,
    Check,
    Archive,
    Snooze,
    Box,
    BoxEmpty,
    Cart,
    Warning,
    UserPlus,
    UserCheck,
    ChatPlus,
    At,
    Info,
    Search,
    ArrowDown,
}

fn paths(icon: Icon) -> Html {
    match icon {
        Icon::Chat => html! { <path d="M4 5h16v11H9l-5 4z" /> },
        Icon::Bell => {
            html! { <><path d="M6 16v-5a6 6 0 1 1 12 0v5l2 2H4z" /><path d="M10 21h4" /></> }
        }
        Icon::User => {
            html! { <><circle cx="12" cy="8" r="4" /><path d="M4 21a8 8 0 0 1 16 0" /></> }
        }
        Icon::Settings => {
            html! { <><circle cx="12" cy="12" r="3" /><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1" /></> }
        }
        Icon::Users => {
            html! { <><circle cx="9" cy="8" r="3.5" /><path d="M2 20a7 7 0 0 1 14 0" /><path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14a6 6 0 0 1 4 6" /></> }
        }
        Icon::SignOut => html! { <><path d="M10 4H5v16h5" /><path d="M14 8l4 4-4 4M18 12H9" /></> },
        Icon::Close => html! { <path d="M6 6l12 12M18 6 6 18" /> },
        Icon::Back => html! { <path d="M15 5l-7 7 7 7" /> },
        Icon::Muted => {
            html! { <><path d="M6 16v-5a6 6 0 0 1 9.5-4.9M18 11v5l2 2H8" /><path d="M10 21h4M3 3l18 18" /></> }
        }
        Icon::Unmuted => {
            html! { <><path d="M6 16v-5a6 6 0 1 1 12 0v5l2 2H4z" /><path d="M10 21h4" /></> }
        }
        Icon::Clock => html! { <><circle cx="12" cy="12" r="8" /><path d="M12 8v4l3 2" /></> },
        Icon::Alert => {
            html! { <><circle cx="12" cy="12" r="9" /><path d="M12 7v6M12 16.5v.5" /></> }
        }
        Icon::Retry => {
            html! { <><path d="M4 12a8 8 0 0 1 14-5.3L20 9" /><path d="M20 4v5h-5M20 12a8 8 0 0 1-14 5.3L4 15" /><path d="M4 20v-5h5" /></> }
        }
        Icon::Trash => html! { <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13" /> },
        Icon::Send => html! { <path d="M4 12l16-8-6 16-2-6z" /> },
        Icon::Check => html! { <path d="M5 12l5 5 9-10" /> },
        Icon::Archive => html! { <><path d="M3 5h18v4H3z" /><path d="M5 9v10h14V9M10 13h4" /></> },
        Icon::Snooze => {
            html! { <><circle cx="12" cy="13" r="7" /><path d="M10 10h4l-4 6h4M5 4 3 6M19 4l2 2" /></> }
        }
        Icon::Box => {
            html! { <><path d="M3 7l9-4 9 4v10l-9 4-9-4z" /><path d="M3 7l9 4 9-4M12 11v10" /></> }
        }
        Icon::BoxEmpty => {
            html! { <><path d="M3 7l9-4 9 4v10l-9 4-9-4z" /><path d="M9 10l6 6M15 10l-6 6" /></> }
        }
        Icon::Cart => {
            html! { <><path d="M3 4h3l2 11h11l2-8H7" /><circle cx="10" cy="19.5" r="1.5" /><circle cx="17" cy="19.5" r="1.5" /></> }
        }
        Icon::Warning => html! { <><path d="M12 3l10 18H2z" /><path d="M12 10v5M12 18v.5" /></> },
        Icon::UserPlus => {
            html! { <><circle cx="10" cy="8" r="4" /><path d="M3 21a7 7 0 0 1 14 0M19 8v6M16 11h6" /></> }
        }
        Icon::UserCheck => {
            html! { <><circle cx="10" cy="8" r="4" /><path d="M3 21a7 7 0 0 1 14 0M16 11l2 2 4-4" /></> }
        }
        Icon::ChatPlus => {
            html! { <><path d="M4 5h16v11H9l-5 4z" /><path d="M12 8v5M9.5 10.5h5" /></> }
        }
        Icon::At => {
            html! { <><circle cx="12" cy="12" r="3.5" /><path d="M15.5 12v1.5a2.5 2.5 0 0 0 5 0V12a8.5 8.5 0 1 0-3.5 6.9" /></> }
        }
        Icon::Info => {
            html! { <><circle cx="12" cy="12" r="9" /><path d="M12 11v6M12 7.5v.5" /></> }
        }
        Icon::Search => html! { <><circle cx="11" cy="11" r="6" /><path d="M20 20l-4.5-4.5" /></> },
        Icon::ArrowDown => html! { <path d="M12 5v14M6 13l6 6 6-6" /> },
    }
}

/// An icon; decorative (hidden from screen readers: its button carries the label).
pub fn icon(i: Icon) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{ paths(i) }</svg>
    }
}

/// The icon and the colour class of a notification kind (unknown kinds: generic).
pub fn kind_icon(kind: &NotificationKind) -> (Icon, &'static str) {
    match kind {
        NotificationKind::LowStock => (Icon::Box, "kind-warn"),
        NotificationKind::OutOfStock => (Icon::BoxEmpty, "kind-danger"),
        NotificationKind::SaleCompleted => (Icon::Cart, "kind-ok"),
        NotificationKind::SystemAlert => (Icon::Warning, "kind-danger"),
        NotificationKind::FriendRequest => (Icon::UserPlus, "kind-accent"),
        NotificationKind::FriendRequestAccepted => (Icon::UserCheck, "kind-ok"),
        NotificationKind::NewConversation => (Icon::ChatPlus, "kind-accent"),
        NotificationKind::Mention => (Icon::At, "kind-accent"),
        NotificationKind::Other(_) => (Icon::Info, "kind-muted"),
    }
}

/// A human label for a kind (filters, aria).
pub fn kind_label(kind: &NotificationKind) -> String {
    match kind {
        NotificationKind::LowStock => "Low stock".into(),
        NotificationKind::OutOfStock => "Out of stock".into(),
        NotificationKind::SaleCompleted => "Sale completed".into(),
        NotificationKind::SystemAlert => "System alert".into(),
        NotificationKind::FriendRequest => "Friend request".into(),
        NotificationKind::FriendRequestAccepted => "Friend request accepted".into(),
        NotificationKind::NewConversation => "New conversation".into(),
        NotificationKind::Mention => "Mention".into(),
        NotificationKind::Other(s) => s.replace('_', " "),
    }
}

/// The kind's round icon chip.
pub fn kind_chip(kind: &NotificationKind) -> Html {
    let (i, class) = kind_icon(kind);
    html! {
        <span class={classes!("kind-chip", class)} data-kind={kind.as_str().to_owned()}>{ icon(i) }</span>
    }
}
