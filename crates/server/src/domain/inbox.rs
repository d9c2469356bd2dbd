//! Notifications, the publish API and friend requests.

use herald_protocol::wire::{
    Audience, FriendRequest, Notification, NotificationPatch, PublishRequest, PublishResponse, User,
};

use super::Domain;
use crate::error::{Error, Result};
use crate::store::{NewNotification, Paged};

const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 4000;

impl Domain {
    /// `POST /api/publish`: one notification per recipient, each an event in their stream.
    pub async fn publish_notification(&self, req: PublishRequest) -> Result<PublishResponse> {
        if req.title.trim().is_empty() {
            return Err(Error::BadRequest("title is empty".into()));
        }
        if req.title.chars().count() > MAX_TITLE_CHARS || req.body.chars().count() > MAX_BODY_CHARS
        {
            return Err(Error::TooLarge("title or body too long".into()));
        }
        if !(1..=5).contains(&req.priority) {
            return Err(Error::BadRequest("priority must be 1..=5".into()));
        }
        let user_ids: Vec<String> = match &req.to {
            Audience::All => self
                .store
                .all_users()
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect(),
            Audience::Users(keys) => {
                let mut ids = Vec::with_capacity(keys.len());
                for key in keys {
                    let user = self
                        .store
                        .find_user(key)
                        .await?
                        .ok_or_else(|| Error::NotFound(format!("user {key}")))?;
                    if !ids.contains(&user.id) {
                        ids.push(user.id);
                    }
                }
                ids
            }
        };
        let n = NewNotification {
            kind: req.kind,
            title: req.title,
            body: req.body,
            priority: req.priority,
            link: req.link,
            meta: req.meta,
        };
        let (created, events) = self.store.create_notifications(&user_ids, &n).await?;
        self.publish(events);
        Ok(PublishResponse {
            notification_ids: created.into_iter().map(|n| n.id).collect(),
        })
    }

    pub async fn update_notification(
        &self,
        user: &User,
        id: &str,
        patch: &NotificationPatch,
    ) -> Result<Notification> {
        if let Some(until) = patch.snoozed_until {
            check_snooze_until(until, time::OffsetDateTime::now_utc())?;
        }
        self.spend_request(user, "too many notification changes")?;
        let (n, events) = self.store.update_notification(&user.id, id, patch).await?;
        self.publish(events);
        Ok(n)
    }

    pub async fn mark_all_notifications_read(&self, user: &User) -> Result<()> {
        self.spend_request(user, "too many read-all requests")?;
        let events = self.store.mark_all_notifications_read(&user.id).await?;
        self.publish(events);
        Ok(())
    }

    pub async fn notifications(
        &self,
        user: &User,
        before: Option<&str>,
        limit: u32,
        unread_only: bool,
    ) -> Result<Paged<Notification>> {
        self.store
            .notifications(&user.id, before, limit, unread_only)
            .await
    }

    /// Sends a friend request to a user named by id or username.
    pub async fn create_friend_request(&self, from: &User, to: &str) -> Result<FriendRequest> {
        self.spend_request(from, "too many friend requests")?;
        let to = self
            .store
            .find_user(to)
            .await?
            .ok_or_else(|| Error::NotFound(format!("user {to}")))?;
        let (request, events) = self.store.create_friend_request(&from.id, &to.id).await?;
        self.publish(events);
        Ok(request)
    }

    pub async fn respond_friend_request(
        &self,
        user: &User,
        id: &str,
        accept: bool,
    ) -> Result<FriendRequest> {
        self.spend_request(user, "too many friend request answers")?;
        let (request, events) = self
            .store
            .respond_friend_request(&user.id, id, accept)
            .await?;
        self.publish(events);
        Ok(request)
    }

    pub async fn friend_requests(&self, user: &User) -> Result<Vec<FriendRequest>> {
        self.store.friend_requests(&user.id).await
    }
}

/// How far a snooze may reach: from a day in the past (a client clock running behind; it ends
/// at once) to a year ahead. Outside it the request is a client bug, answered `bad_request`
/// instead of being stored as 1970 or year 9999.
fn check_snooze_until(until: time::OffsetDateTime, now: time::OffsetDateTime) -> Result<()> {
    let earliest = now - time::Duration::days(1);
    let latest = now + time::Duration::days(366);
    if until < earliest || until > latest {
        return Err(Error::BadRequest(format!(
            "snooze until must be between {earliest} and {latest} (got {until})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_snooze_until;
    use time::macros::datetime;

    #[test]
    fn a_snooze_reaches_from_a_day_ago_to_a_year_ahead() {
        let now = datetime!(2026-12-03 12:00 UTC);
        assert!(check_snooze_until(now + time::Duration::hours(1), now).is_ok());
        assert!(check_snooze_until(now - time::Duration::hours(23), now).is_ok());
        assert!(check_snooze_until(datetime!(1970-01-01 0:00 UTC), now).is_err());
        assert!(check_snooze_until(datetime!(9999-12-31 0:00 UTC), now).is_err());
        assert!(check_snooze_until(now + time::Duration::days(400), now).is_err());
    }
}
