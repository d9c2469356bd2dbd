//! The rules every `Store` applies the same way, whatever its SQL: who may answer a friend
//! request and what accepting it creates, and when a send is a retry or a bad reply. Kept here
//! so the SQLite and PostgreSQL stores cannot drift apart on behaviour.

use herald_protocol::wire::{FriendRequest, FriendRequestStatus, Link, Message, NotificationKind};
use serde_json::Map;

use super::{NewMessage, NewNotification, Sent};
use crate::error::{Error, Result};

/// The request `user_id` may answer: one they are part of (else `NotFound`, so ids of others'
/// requests reveal nothing), and of which they are the recipient (else `Forbidden`).
pub fn answerable(found: Option<FriendRequest>, user_id: &str, id: &str) -> Result<FriendRequest> {
    let request = found
        .filter(|r| r.from.id == user_id || r.to.id == user_id)
        .ok_or_else(|| Error::NotFound(format!("friend request {id}")))?;
    if request.to.id != user_id {
        return Err(Error::Forbidden(
            "only the recipient can answer a friend request".into(),
        ));
    }
    Ok(request)
}

/// The status an answer sets; a request is answered once.
pub fn answer_status(request: &FriendRequest, accept: bool) -> Result<FriendRequestStatus> {
    if request.status != FriendRequestStatus::Pending {
        return Err(Error::Conflict(
            "this friend request was already answered".into(),
        ));
    }
    Ok(if accept {
        FriendRequestStatus::Accepted
    } else {
        FriendRequestStatus::Declined
    })
}

/// The name of the direct room an accepted request opens.
pub fn direct_room_name(request: &FriendRequest) -> String {
    format!("{} & {}", request.from.name, request.to.name)
}

/// The sender's notification that their request was accepted, linking to the new room.
pub fn accepted_notification(request: &FriendRequest, room_id: String) -> NewNotification {
    NewNotification {
        kind: NotificationKind::FriendRequestAccepted,
        title: format!("{} accepted your friend request", request.to.name),
        body: String::new(),
        priority: 3,
        link: Some(Link {
            room_id: Some(room_id),
            url: None,
        }),
        meta: Map::from_iter([("request_id".to_owned(), request.id.clone().into())]),
    }
}

/// A send whose `(sender, client_msg_id)` was stored before: the original, unless the retry
/// names another room.
pub fn retried_send(original: Message, msg: &NewMessage) -> Result<Sent> {
    if original.room_id != msg.room_id {
        return Err(Error::Conflict(
            "client_msg_id was already used in another room".into(),
        ));
    }
    Ok(Sent {
        message: original,
        events: Vec::new(),
        duplicate: true,
    })
}

/// A reply must quote a message of the same room.
pub fn check_reply_to(quoted: Option<&Message>, msg: &NewMessage, reply_to: &str) -> Result<()> {
    match quoted {
        Some(m) if m.room_id == msg.room_id => Ok(()),
        _ => Err(Error::BadRequest(format!(
            "reply_to {reply_to} is not a message of this room"
        ))),
    }
}
