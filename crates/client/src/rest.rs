//! REST reads the socket does not carry: `GET /api/notifications?before=&limit=`, the older
//! pages of the notifications page (see `engine::notification_pages`). Called by the driver
//! only; failures become the IPC error codes the UI shows.

use std::time::Duration;

use herald_protocol::ipc::{ErrorCode, UiError};
use herald_protocol::wire::{Notification, Page};

use crate::login::http_base;

/// One page of notifications older than `before` (an id; `None`: the newest), archived ones
/// included, newest first.
pub async fn notifications_page(
    server_url: &str,
    token: &str,
    before: Option<&str>,
    limit: u32,
) -> Result<Page<Notification>, UiError> {
    let base = http_base(server_url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| UiError::new(ErrorCode::Internal, format!("could not set up HTTP: {e}")))?;
    let mut query = vec![("limit", limit.to_string())];
    if let Some(before) = before {
        query.push(("before", before.to_owned()));
    }
    let resp = client
        .get(format!("{base}/api/notifications"))
        .bearer_auth(token)
        .query(&query)
        .send()
        .await
        .map_err(|e| {
            UiError::new(
                ErrorCode::ServerUnreachable,
                format!("Could not reach {base} ({e}); older notifications load when it answers. Scroll down to try again."),
            )
        })?;
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(UiError::new(
            ErrorCode::Unauthorized,
            "Your session has expired. Sign in again to load older notifications.",
        ));
    }
    if !status.is_success() {
        return Err(UiError::new(
            ErrorCode::ServerUnreachable,
            format!(
                "The server answered {status} for older notifications. Scroll down to try again."
            ),
        ));
    }
    resp.json::<Page<Notification>>().await.map_err(|e| {
        UiError::new(
            ErrorCode::Internal,
            format!("The server's notifications could not be read ({e}); is this a Herald server?"),
        )
    })
}
