//! Socket requests: each decoded request becomes one domain call and exactly one `reply`.

use herald_protocol::wire::{
    ClientFrame, Empty, FriendRequestOk, LoadHistoryOk, NotificationOk, NotificationPatch, Outcome,
    Reply, SendMessageOk, ServerFrame, User,
};
use serde::Serialize;

use crate::domain::Domain;
use crate::error::Result;

fn reply<T: Serialize>(id: String, result: Result<T>) -> ServerFrame {
    ServerFrame::Reply(match result {
        Ok(payload) => Reply::ok(id, &payload),
        Err(e) => Reply {
            id,
            outcome: Outcome::Error(e.to_body()),
        },
    })
}

/// Runs one request for `user`. Returns the frame to send back (`None` for `typing`, which has
/// no reply); `hello` is handled by the session, not here.
pub async fn handle(domain: &Domain, user: &User, frame: ClientFrame) -> Option<ServerFrame> {
    Some(match frame {
        ClientFrame::SendMessage(r) => {
            let p = r.params;
            let res = domain
                .send_message(user, &p.room_id, Some(p.client_msg_id), &p.text, p.reply_to)
                .await
                .map(|message| SendMessageOk { message });
            reply(r.id, res)
        }
        ClientFrame::MarkRoomRead(r) => reply(
            r.id,
            domain
                .mark_room_read(user, &r.params.room_id, &r.params.up_to)
                .await,
        ),
        ClientFrame::MarkNotificationRead(r) => {
            let patch = NotificationPatch {
                read: Some(true),
                ..Default::default()
            };
            patch_notification(domain, user, r.id, &r.params.notification_id, &patch).await
        }
        ClientFrame::ArchiveNotification(r) => {
            let patch = NotificationPatch {
                archived: Some(true),
                ..Default::default()
            };
            patch_notification(domain, user, r.id, &r.params.notification_id, &patch).await
        }
        ClientFrame::SnoozeNotification(r) => {
            let patch = NotificationPatch {
                snoozed_until: Some(r.params.until),
                ..Default::default()
            };
            patch_notification(domain, user, r.id, &r.params.notification_id, &patch).await
        }
        ClientFrame::MarkAllNotificationsRead(r) => reply(
            r.id,
            domain
                .mark_all_notifications_read(user)
                .await
                .map(|()| Empty {}),
        ),
        ClientFrame::LoadHistory(r) => {
            let p = r.params;
            let res = domain
                .history(user, &p.room_id, p.before.as_deref(), p.limit)
                .await
                .map(|page| {
                    let mut ok = LoadHistoryOk {
                        messages: page.items,
                        has_more: page.has_more,
                    };
                    super::budget::fit_history(&mut ok, super::budget::FRAME_BUDGET);
                    ok
                });
            reply(r.id, res)
        }
        ClientFrame::RespondFriendRequest(r) => {
            let res = domain
                .respond_friend_request(user, &r.params.request_id, r.params.accept)
                .await;
            reply(r.id, res.map(|request| FriendRequestOk { request }))
        }
        ClientFrame::Ping(r) => reply(r.id, Ok(Empty {})),
        // The session answers it itself (it moves the socket's expiry); this is the same
        // answer for any other caller.
        ClientFrame::RenewToken(r) => reply(r.id, domain.renew_token(user).await),
        ClientFrame::Typing(t) => {
            if let Err(e) = domain.typing(user, &t.room_id, t.typing).await {
                // No reply for typing; a foreign room is silently ignored, but logged.
                tracing::debug!(user = %user.id, error = %e, "typing refused");
            }
            return None;
        }
        ClientFrame::Hello(_) | ClientFrame::Unknown => return None,
    })
}

/// The three notification requests differ only in the patch they apply.
async fn patch_notification(
    domain: &Domain,
    user: &User,
    id: String,
    notification_id: &str,
    patch: &NotificationPatch,
) -> ServerFrame {
    let res = domain
        .update_notification(user, notification_id, patch)
        .await;
    reply(id, res.map(|notification| NotificationOk { notification }))
}
