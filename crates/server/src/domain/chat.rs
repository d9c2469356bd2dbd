//! Rooms and messages: validation in front of the store, publish after it.

use herald_protocol::wire::{Message, Room, RoomKind, RoomRead, User, MAX_MESSAGE_CHARS};

use super::Domain;
use crate::error::{Error, Result};
use crate::store::{NewMessage, Paged};

/// Longest client_msg_id accepted (UUIDs are 36).
const MAX_CLIENT_MSG_ID: usize = 128;

impl Domain {
    /// Sends a message as `sender`. A retry with the same `client_msg_id` returns the original
    /// and publishes nothing.
    pub async fn send_message(
        &self,
        sender: &User,
        room_id: &str,
        client_msg_id: Option<String>,
        text: &str,
        reply_to: Option<String>,
    ) -> Result<Message> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::BadRequest("message text is empty".into()));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::TooLarge(format!(
                "message text is over {MAX_MESSAGE_CHARS} characters"
            )));
        }
        if client_msg_id
            .as_ref()
            .is_some_and(|c| c.is_empty() || c.len() > MAX_CLIENT_MSG_ID)
        {
            return Err(Error::BadRequest(
                "client_msg_id must be 1..=128 bytes".into(),
            ));
        }
        self.sends
            .take(&sender.id, std::time::Instant::now())
            .map_err(|retry_after| Error::RateLimited {
                what: "too many messages",
                retry_after,
            })?;
        let msg = NewMessage {
            room_id: room_id.into(),
            client_msg_id,
            text: text.into(),
            reply_to,
        };
        let sent = self.store.send_message(&sender.id, &msg).await?;
        self.publish(sent.events);
        Ok(sent.message)
    }

    pub async fn history(
        &self,
        user: &User,
        room_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Paged<Message>> {
        self.spend_request(user, "too many history loads")?;
        self.store.history(&user.id, room_id, before, limit).await
    }

    pub async fn mark_room_read(
        &self,
        user: &User,
        room_id: &str,
        up_to: &str,
    ) -> Result<RoomRead> {
        self.spend_request(user, "too many read marks")?;
        let (read, events) = self.store.mark_room_read(&user.id, room_id, up_to).await?;
        self.publish(events);
        Ok(read)
    }

    pub async fn rooms(&self, user: &User) -> Result<Vec<Room>> {
        self.store.rooms_for(&user.id).await
    }

    /// Creates a room with the given members (ids); every member gets `room_created`.
    pub async fn create_room(
        &self,
        name: &str,
        kind: RoomKind,
        member_ids: &[String],
    ) -> Result<Room> {
        let (room, events) = self.store.create_room(name, kind, member_ids).await?;
        self.publish(events);
        Ok(room)
    }
}
