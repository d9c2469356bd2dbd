//! Field specs: how a profile points into a backend's JSON and how it fills in the frames and
//! URLs it sends. Pure functions over `serde_json::Value`.
//!
//! A spec is a path (`sender.username`, `items.0.id`), a template (`"{title}: {message}"`,
//! every `{path}` replaced by that value's text) or a literal (`"=job"`). Values are coerced
//! the way backends actually differ: ids may be numbers or strings, times RFC 3339 strings or
//! Unix seconds / milliseconds, booleans real booleans or 0/1. A missing or mistyped required
//! field is a [`MapError`] naming the object, the field and what was expected, so the adapter
//! can log it once and skip the object instead of storing a wrong one.

use herald_protocol::wire::{
    FriendRequest, FriendRequestStatus, Link, Message, Notification, NotificationKind, Room,
    RoomKind, User,
};
use herald_protocol::Timestamp;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use super::profile::{FriendRequestFields, MessageFields, NotificationFields, RoomFields};

/// A required field was missing or of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}.{field}: expected {expected}")]
pub struct MapError {
    pub object: &'static str,
    pub field: &'static str,
    pub expected: &'static str,
}

/// The value at `path` (`""`: the value itself). Numeric segments index arrays.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Evaluates a spec against `v`: a path, a `{path}` template or an `=literal`.
pub fn eval(v: &Value, spec: &str) -> Option<Value> {
    if let Some(lit) = spec.strip_prefix('=') {
        return Some(Value::String(lit.to_owned()));
    }
    if spec.contains('{') {
        return Some(Value::String(fill(spec, |p| get(v, p).and_then(text))));
    }
    get(v, spec).filter(|x| !x.is_null()).cloned()
}

/// The text of a scalar: strings as they are, numbers and booleans printed; null and
/// containers have none.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Replaces every `{name}` (or `{name:int}`) in `template` by `lookup(name)`; an unknown name
/// becomes the empty string.
pub fn fill(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let name = &rest[start + 1..start + end];
                let name = name.strip_suffix(":int").unwrap_or(name);
                out.push_str(&lookup(name).unwrap_or_default());
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names a template uses.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + end];
        names.push(name.strip_suffix(":int").unwrap_or(name));
        rest = &rest[start + end + 1..];
    }
    names
}

/// A variable of an outgoing frame or body.
#[derive(Debug, Clone, PartialEq)]
pub enum Var {
    Text(String),
    Bool(bool),
}

/// Renders a TOML template (a frame or a REST body) to JSON. A string that is exactly one
/// placeholder keeps its variable's type (`"{accept}"` -> `true`; `"{id:int}"` -> `5` when
/// the id is numeric); other strings are filled in as text.
pub fn render(template: &toml::Value, lookup: &dyn Fn(&str) -> Option<Var>) -> Value {
    match template {
        toml::Value::String(s) => render_string(s, lookup),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(|x| render(x, lookup)).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, x)| (k.clone(), render(x, lookup)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

fn render_string(s: &str, lookup: &dyn Fn(&str) -> Option<Var>) -> Value {
    let whole = s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1;
    if whole {
        let inner = &s[1..s.len() - 1];
        let (name, int) = match inner.strip_suffix(":int") {
            Some(n) => (n, true),
            None => (inner, false),
        };
        return match lookup(name) {
            Some(Var::Bool(b)) => Value::Bool(b),
            Some(Var::Text(t)) if int => t
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(t)),
            Some(Var::Text(t)) => Value::String(t),
            None => Value::Null,
        };
    }
    Value::String(fill(s, |n| match lookup(n) {
        Some(Var::Text(t)) => Some(t),
        Some(Var::Bool(b)) => Some(b.to_string()),
        None => None,
    }))
}

fn string(v: &Value, spec: &str) -> Option<String> {
    eval(v, spec).as_ref().and_then(text)
}

fn opt_string(v: &Value, spec: &Option<String>) -> Option<String> {
    spec.as_deref().and_then(|s| string(v, s))
}

/// A time: RFC 3339, or Unix seconds / milliseconds.
pub fn time_of(v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => Timestamp::parse(s, &Rfc3339).ok(),
        Value::Number(n) => {
            let x = n.as_f64()?;
            let secs = if x > 1e11 { x / 1000.0 } else { x };
            Timestamp::from_unix_timestamp_nanos((secs * 1e9) as i128).ok()
        }
        _ => None,
    }
}

fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn u32_of(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().map(|x| x.min(u32::MAX as u64) as u32),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A required text field.
fn need(
    v: &Value,
    spec: &str,
    object: &'static str,
    field: &'static str,
) -> Result<String, MapError> {
    string(v, spec).filter(|s| !s.is_empty()).ok_or(MapError {
        object,
        field,
        expected: "a string or a number",
    })
}

fn need_time(
    v: &Value,
    spec: &str,
    object: &'static str,
    field: &'static str,
) -> Result<Timestamp, MapError> {
    eval(v, spec).as_ref().and_then(time_of).ok_or(MapError {
        object,
        field,
        expected: "an RFC 3339 time or Unix seconds",
    })
}

/// Longest text kept from a backend (Herald's own limit for messages is 4,000 characters;
/// a backend may send more, it is cut rather than refused).
const MAX_TEXT_CHARS: usize = 16_000;

fn clip(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_TEXT_CHARS) {
        s.truncate(i);
    }
    s
}

/// Who the signed-in user is, to recognise their own messages.
#[derive(Debug, Clone)]
pub struct Me<'a> {
    pub user: &'a User,
}

/// A backend message as Herald's. `room_hint` fills `room_id` when the object lacks it.
pub fn message(
    f: &MessageFields,
    v: &Value,
    room_hint: Option<&str>,
    me: &Me<'_>,
) -> Result<Message, MapError> {
    let id = need(v, &f.id, "message", "id")?;
    let room_id = match string(v, &f.room_id).filter(|s| !s.is_empty()) {
        Some(r) => r,
        None => room_hint.map(str::to_owned).ok_or(MapError {
            object: "message",
            field: "room_id",
            expected: "a string or a number",
        })?,
    };
    let mut sender_id = need(v, &f.sender_id, "message", "sender_id")?;
    let sender_name = opt_string(v, &f.sender_name).unwrap_or_else(|| sender_id.clone());
    if f.sender_is.as_deref() == Some("name") && sender_id == me.user.name {
        sender_id = me.user.id.clone();
    }
    let text = string(v, &f.text).ok_or(MapError {
        object: "message",
        field: "text",
        expected: "a string",
    })?;
    Ok(Message {
        id,
        room_id,
        sender: User {
            id: sender_id,
            name: sender_name,
        },
        text: clip(text),
        client_msg_id: opt_string(v, &f.client_msg_id).filter(|s| !s.is_empty()),
        reply_to: opt_string(v, &f.reply_to).filter(|s| !s.is_empty()),
        created_at: need_time(v, &f.created_at, "message", "created_at")?,
        edited_at: None,
    })
}

/// A backend room as Herald's; `now` stands in for a missing `updated_at`.
pub fn room(
    f: &RoomFields,
    mf: Option<&MessageFields>,
    v: &Value,
    me: &Me<'_>,
    now: Timestamp,
) -> Result<Room, MapError> {
    let id = need(v, &f.id, "room", "id")?;
    let name = string(v, &f.name).unwrap_or_else(|| format!("Room {id}"));
    let kind = match f.kind.as_deref().and_then(|s| string(v, s)) {
        Some(k) => {
            let k = f.kinds.get(&k).cloned().unwrap_or(k);
            serde_json::from_value::<RoomKind>(Value::String(k)).unwrap_or(RoomKind::Other)
        }
        None => RoomKind::General,
    };
    let last_message = match (f.last_message.as_deref(), mf) {
        (Some(path), Some(mf)) => get(v, path)
            .filter(|x| x.is_object())
            .and_then(|x| message(mf, x, Some(&id), me).ok()),
        _ => None,
    };
    let members = match f.members.as_deref().and_then(|p| get(v, p)) {
        Some(Value::Array(items)) => items
            .iter()
            .take(1000)
            .filter_map(|m| {
                let id = match &f.member_id {
                    Some(s) => string(m, s),
                    None => text(m),
                }?;
                let name = match &f.member_name {
                    Some(s) => string(m, s),
                    None => text(m),
                }
                .unwrap_or_else(|| id.clone());
                Some(User { id, name })
            })
            .collect(),
        _ => Vec::new(),
    };
    let updated_at = f
        .updated_at
        .as_deref()
        .and_then(|s| eval(v, s))
        .as_ref()
        .and_then(time_of)
        .or(last_message.as_ref().map(|m| m.created_at))
        .unwrap_or(now);
    Ok(Room {
        unread_count: f
            .unread_count
            .as_deref()
            .and_then(|s| eval(v, s))
            .as_ref()
            .and_then(u32_of)
            .unwrap_or(0),
        id,
        name: clip(name),
        kind,
        members,
        last_message,
        updated_at,
    })
}

/// A backend notification as Herald's bell item.
pub fn notification(f: &NotificationFields, v: &Value) -> Result<Notification, MapError> {
    let id = need(v, &f.id, "notification", "id")?;
    let kind_name = f
        .kind
        .as_deref()
        .and_then(|s| string(v, s))
        .unwrap_or_else(|| "system_alert".to_owned());
    let kind = NotificationKind::from(f.kinds.get(&kind_name).cloned().unwrap_or(kind_name));
    let title = string(v, &f.title).ok_or(MapError {
        object: "notification",
        field: "title",
        expected: "a string",
    })?;
    let mut meta = match f.meta.as_deref().and_then(|p| get(v, p)) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for (k, spec) in &f.meta_fields {
        if let Some(x) = eval(v, spec) {
            meta.insert(k.clone(), x);
        }
    }
    let link_room = opt_string(v, &f.link_room).filter(|s| !s.is_empty());
    let link_url = opt_string(v, &f.link_url).filter(|s| !s.is_empty());
    let link = (link_room.is_some() || link_url.is_some()).then_some(Link {
        room_id: link_room,
        url: link_url,
    });
    Ok(Notification {
        id,
        kind,
        title: clip(title),
        body: clip(opt_string(v, &f.body).unwrap_or_default()),
        priority: f
            .priority
            .as_deref()
            .and_then(|s| eval(v, s))
            .as_ref()
            .and_then(u32_of)
            .map(|p| p.clamp(1, 5) as u8)
            .unwrap_or(3),
        link,
        meta,
        created_at: need_time(v, &f.created_at, "notification", "created_at")?,
        read: f
            .read
            .as_deref()
            .and_then(|s| eval(v, s))
            .as_ref()
            .and_then(bool_of)
            .unwrap_or(false),
        archived: false,
        snoozed_until: None,
    })
}

/// A backend friend request as Herald's.
pub fn friend_request(f: &FriendRequestFields, v: &Value) -> Result<FriendRequest, MapError> {
    let status = match string(v, &f.status).as_deref().map(str::to_ascii_lowercase) {
        Some(s) if s == "pending" => FriendRequestStatus::Pending,
        Some(s) if s == "accepted" => FriendRequestStatus::Accepted,
        Some(s) if s == "declined" || s == "rejected" => FriendRequestStatus::Declined,
        _ => {
            return Err(MapError {
                object: "friend_request",
                field: "status",
                expected: "pending, accepted or declined",
            })
        }
    };
    Ok(FriendRequest {
        id: need(v, &f.id, "friend_request", "id")?,
        from: User {
            id: need(v, &f.from_id, "friend_request", "from_id")?,
            name: need(v, &f.from_name, "friend_request", "from_name")?,
        },
        to: User {
            id: need(v, &f.to_id, "friend_request", "to_id")?,
            name: need(v, &f.to_name, "friend_request", "to_name")?,
        },
        status,
        created_at: need_time(v, &f.created_at, "friend_request", "created_at")?,
    })
}

/// A required text of a small rule (`room_id`, `unread_count`...).
pub fn rule_text(v: &Value, spec: Option<&String>) -> Option<String> {
    spec.and_then(|s| string(v, s))
}

/// A rule's count.
pub fn rule_u32(v: &Value, spec: Option<&String>) -> Option<u32> {
    spec.and_then(|s| eval(v, s)).as_ref().and_then(u32_of)
}

/// A rule's flag.
pub fn rule_bool(v: &Value, spec: Option<&String>) -> Option<bool> {
    spec.and_then(|s| eval(v, s)).as_ref().and_then(bool_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_into_objects_and_arrays() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}});
        assert_eq!(get(&v, "a.b.1.c"), Some(&json!("x")));
        assert_eq!(get(&v, "a.b.9"), None);
        assert_eq!(get(&v, "a.b.c"), None);
        assert_eq!(get(&v, ""), Some(&v));
    }

    #[test]
    fn templates_literals_and_paths_all_evaluate() {
        let v = json!({"title": "Low stock", "sku": 42});
        assert_eq!(eval(&v, "=job"), Some(json!("job")));
        assert_eq!(eval(&v, "{title}: {sku}"), Some(json!("Low stock: 42")));
        assert_eq!(eval(&v, "sku"), Some(json!(42)));
        assert_eq!(eval(&v, "missing"), None);
    }

    #[test]
    fn a_single_placeholder_keeps_its_type_and_int_ids_become_numbers() {
        let t: toml::Value = toml::from_str(
            r#"frame = { type = "mark_as_read", notification_id = "{id:int}", accept = "{accept}", note = "id {id}" }"#,
        )
        .unwrap();
        let lookup = |n: &str| match n {
            "id" => Some(Var::Text("5".into())),
            "accept" => Some(Var::Bool(true)),
            _ => None,
        };
        let out = render(&t["frame"], &lookup);
        assert_eq!(
            out,
            json!({"type": "mark_as_read", "notification_id": 5, "accept": true, "note": "id 5"})
        );
    }

    #[test]
    fn times_come_as_rfc3339_or_unix_seconds_or_milliseconds() {
        let a = time_of(&json!("2026-12-02T10:30:00Z")).unwrap();
        assert_eq!(time_of(&json!(a.unix_timestamp())), Some(a));
        assert_eq!(time_of(&json!(a.unix_timestamp() * 1000)), Some(a));
        assert_eq!(time_of(&json!("yesterday")), None);
    }

    fn mf() -> MessageFields {
        MessageFields {
            id: "id".into(),
            room_id: "conversation_id".into(),
            sender_id: "sender".into(),
            sender_name: None,
            text: "text".into(),
            created_at: "timestamp".into(),
            client_msg_id: Some("client_msg_id".into()),
            reply_to: None,
            sender_is: Some("name".into()),
        }
    }

    #[test]
    fn own_messages_are_recognised_by_name_where_the_backend_sends_names() {
        let me = User {
            id: "1".into(),
            name: "alice".into(),
        };
        let v = json!({"id": "msg_1", "conversation_id": "conv_1", "sender": "alice", "text": "hi", "timestamp": "2026-12-02T10:30:00Z"});
        let m = message(&mf(), &v, None, &Me { user: &me }).unwrap();
        assert_eq!(m.sender.id, "1");
        let v = json!({"id": "msg_2", "conversation_id": "conv_1", "sender": "bob", "text": "hi", "timestamp": "2026-12-02T10:30:00Z"});
        assert_eq!(
            message(&mf(), &v, None, &Me { user: &me })
                .unwrap()
                .sender
                .id,
            "bob"
        );
    }

    #[test]
    fn a_message_with_a_wrong_type_names_the_field_and_what_was_expected() {
        let me = User {
            id: "1".into(),
            name: "alice".into(),
        };
        let v = json!({"id": "msg_1", "conversation_id": "conv_1", "sender": "bob", "text": "hi", "timestamp": {"nope": 1}});
        let err = message(&mf(), &v, None, &Me { user: &me }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "message.created_at: expected an RFC 3339 time or Unix seconds"
        );
        let v = json!({"conversation_id": "conv_1", "sender": "bob", "text": "hi", "timestamp": "2026-12-02T10:30:00Z"});
        assert_eq!(
            message(&mf(), &v, None, &Me { user: &me })
                .unwrap_err()
                .field,
            "id"
        );
    }

    #[test]
    fn very_long_backend_text_is_cut_not_refused() {
        let me = User {
            id: "1".into(),
            name: "alice".into(),
        };
        let long = "é".repeat(MAX_TEXT_CHARS + 10);
        let v =
            json!({"id": 1, "conversation_id": 2, "sender": "bob", "text": long, "timestamp": 0});
        let m = message(&mf(), &v, None, &Me { user: &me }).unwrap();
        assert_eq!(m.text.chars().count(), MAX_TEXT_CHARS);
        assert_eq!(m.id, "1");
    }
}
