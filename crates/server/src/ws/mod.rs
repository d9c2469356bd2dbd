//! `GET /ws`: authenticate, then upgrade to a [`session`].
//!
//! The token is checked before the upgrade, so a missing, invalid or expired token gets a plain
//! HTTP 401 and never a socket. The socket's limits are set here: messages up to
//! [`MAX_WS_MESSAGE`] are read whole so that frames between 64 KiB and that size can be answered
//! with `error {too_large}` and the connection kept; larger ones end the connection.

pub mod budget;
pub mod frame;
mod requests;
pub mod session;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use herald_protocol::wire::MAX_FRAME_BYTES;
use serde::Deserialize;

use crate::auth;
use crate::error::Error;
use crate::server::AppState;

/// Largest message read whole; anything bigger is a protocol violation that ends the socket.
pub const MAX_WS_MESSAGE: usize = 4 * MAX_FRAME_BYTES;

/// How many bytes a slow peer's unsent frames may hold before a write fails. Above
/// [`budget::FRAME_BUDGET`], so the largest frame the server builds always fits.
pub const MAX_WRITE_BUFFER: usize = 2 * 1024 * 1024;

/// Read buffer per socket (see `upgrade`).
const READ_BUFFER: usize = 1024;

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The token from `Authorization: Bearer` or `?token=`.
fn token<'a>(headers: &'a HeaderMap, query: &'a Option<Query<TokenQuery>>) -> Option<&'a str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::bearer)
        .or_else(|| query.as_ref().and_then(|q| q.token.as_deref()))
}

/// The `/ws` handler.
pub async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<TokenQuery>, QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let query = query.ok();
    let claims = match token(&headers, &query).map(|t| app.domain.keys.verify(t)) {
        Some(Ok(claims)) => claims,
        Some(Err(e)) => return e.into_response(),
        None => {
            return Error::Unauthorized("missing token: send Authorization: Bearer <token>".into())
                .into_response()
        }
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    if *app.shutdown.borrow() {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let config = &app.domain.config;
    let guard =
        match app
            .sessions
            .try_enter(&claims.sub, config.max_sockets, config.max_sockets_per_user)
        {
            Ok(guard) => guard,
            Err(refused) => {
                tracing::info!(user = %claims.sub, error = %refused, "socket refused");
                return refused.into_response();
            }
        };
    // Memory per idle socket is the budget (≤ 10 KB): tungstenite zero-fills its whole read
    // buffer before each read, so all of it is resident. 1 KiB holds any ordinary request; a
    // bigger frame grows the buffer for itself (read in 1 KiB steps). Writes go straight to the
    // socket (no write buffer), bounded by `max_write_buffer_size` when the peer is slow.
    ws.max_message_size(MAX_WS_MESSAGE)
        .max_frame_size(MAX_WS_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            session::run(socket, claims, app).await;
            drop(guard);
        })
}
