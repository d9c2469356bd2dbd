//! Older notifications, page by page: the notifications page's infinite scroll.
//!
//! The stream and the snapshot carry the newest notifications; older and archived ones come
//! from REST `GET /api/notifications?before=&limit=` (docs/protocol.md §18, the same domain function the
//! socket uses), which the driver calls for [`Output::FetchNotifications`]. No wire change was
//! needed, so any server that implements the contract serves them.
//!
//! Pages walk down from the newest with the server's own cursor (the last id of the previous
//! page), so archived items and items older than the snapshot both arrive. A page only adds
//! what the model does not know: for a known notification the stream is the authority (a page
//! can be older than an in-flight change), and the unread count is the server's, so an item
//! first seen in a page never moves it.

use herald_protocol::ipc::{ErrorCode, UiError, UiEvent, UiReply};
use herald_protocol::wire::{Notification, Page};

use super::{Engine, Now, Output};

/// Where the paging stands. Part of the model, so signing in or out starts it afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationPaging {
    /// The last id of the last page (`before` of the next request); `None` before the first.
    pub cursor: Option<String>,
    /// Whether the server may have more (true until it says otherwise).
    pub has_more: bool,
    /// The request under way, if any (a second scroll to the bottom sends no other; an answer
    /// to any other request, e.g. one sent before a sign-out, is dropped).
    pub loading: Option<u64>,
}

impl Default for NotificationPaging {
    fn default() -> Self {
        Self {
            cursor: None,
            has_more: true,
            loading: None,
        }
    }
}

impl Engine {
    /// `load_older_notifications`: asks the driver for the next page, unless one is under way
    /// or the server has no more. Offline, the UI is told at once (cached items stay).
    pub(crate) fn load_older_notifications(&mut self) -> Result<UiReply, UiError> {
        let paging = &self.model.notification_pages;
        if paging.loading.is_some() {
            return Ok(UiReply::Ack);
        }
        if !paging.has_more {
            self.ui.push(UiEvent::NotificationsLoaded {
                notifications: Vec::new(),
                has_more: false,
                error: None,
            });
            return Ok(UiReply::Ack);
        }
        if !self.is_live() {
            self.ui.push(UiEvent::NotificationsLoaded {
                notifications: Vec::new(),
                has_more: true,
                error: Some(UiError::new(
                    ErrorCode::ServerUnreachable,
                    "Offline: showing saved notifications. Older ones load once reconnected.",
                )),
            });
            return Ok(UiReply::Ack);
        }
        let before = paging.cursor.clone();
        let request = self.ops.next_number();
        self.model.notification_pages.loading = Some(request);
        self.out.push_back(Output::FetchNotifications {
            request,
            before,
            limit: self.cfg.page_size,
        });
        Ok(UiReply::Ack)
    }

    /// The driver's answer to [`Output::FetchNotifications`] number `request`.
    pub fn notifications_page(
        &mut self,
        now: Now,
        request: u64,
        result: Result<Page<Notification>, UiError>,
    ) {
        self.now = now;
        let paging = &mut self.model.notification_pages;
        if paging.loading != Some(request) {
            tracing::debug!(request, "dropping a notifications page nobody waits for");
            return;
        }
        paging.loading = None;
        let page = match result {
            Ok(page) => page,
            Err(error) => {
                self.ui.push(UiEvent::NotificationsLoaded {
                    notifications: Vec::new(),
                    has_more: true,
                    error: Some(error),
                });
                return;
            }
        };
        if let Some(last) = page.items.last() {
            paging.cursor = Some(last.id.clone());
        }
        // An empty page with has_more would ask for the same page forever.
        paging.has_more = page.has_more && !page.items.is_empty();
        let has_more = paging.has_more;
        let mut fresh = Vec::new();
        for n in page.items {
            if !self.model.notifications.contains_key(&n.id) {
                self.changes.notifications.push(n.clone());
                self.model.notifications.insert(n.id.clone(), n.clone());
                fresh.push(n);
            }
        }
        self.ui.push(UiEvent::NotificationsLoaded {
            notifications: fresh,
            has_more,
            error: None,
        });
    }
}
