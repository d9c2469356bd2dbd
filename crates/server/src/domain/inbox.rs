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
        let (n, events) = self.store.update_notification(&user.id, id, patch).await?;
        self.publish(events);
        Ok(n)
    }

    pub async fn mark_all_notifications_read(&self, user: &User) -> Result<()> {
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
