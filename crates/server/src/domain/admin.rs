//! Provisioning: the operations an administrator runs to set a team up (create users, list
//! them, create rooms with their members). Reached through `/api/admin/*` with the service key,
//! and from `herald-server admin …`, which calls that API so a running server pushes every
//! change to the affected users' sockets at once.

use herald_protocol::wire::{
    Audience, Link, NotificationKind, PublishRequest, Room, RoomKind, User,
};

use super::Domain;
use crate::auth;
use crate::error::{Error, Result};
use crate::store::NewUser;

/// Usernames are what people type to sign in: short, lower-case, no spaces.
fn check_username(username: &str) -> Result<()> {
    let ok = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "a username is 1 to 64 of a-z, 0-9, '.', '_' and '-'".into(),
        ))
    }
}

/// At least 8 characters: argon2 protects a stored hash, not a guessable password.
const MIN_PASSWORD_CHARS: usize = 8;

impl Domain {
    /// Creates a user who can sign in at once; `conflict` if the username is taken.
    pub async fn admin_create_user(
        &self,
        username: &str,
        name: &str,
        password: &str,
    ) -> Result<User> {
        check_username(username)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::BadRequest("a name is 1 to 100 characters".into()));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::BadRequest(format!(
                "a password has at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if self.store.find_user(username).await?.is_some() {
            return Err(Error::Conflict(format!("the username {username} is taken")));
        }
        let cost = self.config.password_cost;
        let password = password.to_owned();
        let password_hash =
            tokio::task::spawn_blocking(move || auth::hash_password(&password, cost))
                .await
                .map_err(|e| Error::Internal(format!("hashing: {e}")))??;
        self.store
            .ensure_user(&NewUser {
                id: username.into(),
                username: username.into(),
                name: name.into(),
                password_hash,
            })
            .await
    }

    /// Every user, for `admin user list`.
    pub async fn admin_users(&self) -> Result<Vec<User>> {
        self.store.all_users().await
    }

    /// Creates a room with `members` (ids or usernames). Each member's stream gets
    /// `room_created`, and each a `new_conversation` notification linking to the room.
    pub async fn admin_create_room(
        &self,
        name: &str,
        kind: RoomKind,
        members: &[String],
    ) -> Result<Room> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::BadRequest(
                "a room name is 1 to 100 characters".into(),
            ));
        }
        if members.is_empty() {
            return Err(Error::BadRequest("a room needs at least one member".into()));
        }
        let mut ids = Vec::with_capacity(members.len());
        for m in members {
            let user = self
                .store
                .find_user(m)
                .await?
                .ok_or_else(|| Error::NotFound(format!("user {m}")))?;
            if !ids.contains(&user.id) {
                ids.push(user.id);
            }
        }
        let room = self.create_room(name, kind, &ids).await?;
        self.publish_notification(PublishRequest {
            to: Audience::Users(ids),
            kind: NotificationKind::NewConversation,
            title: format!("You were added to {name}"),
            body: String::new(),
            priority: 3,
            link: Some(Link {
                room_id: Some(room.id.clone()),
                url: None,
            }),
            meta: Default::default(),
        })
        .await?;
        Ok(room)
    }
}

#[cfg(test)]
mod tests {
    use super::check_username;

    #[test]
    fn usernames_are_short_lower_case_words() {
        for ok in ["alice", "bob.smith", "ops-2", "a_b"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Alice", "bob smith", "x@y", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
