//! REST: the same domain functions as the socket, behind bearer-token auth.
//!
//! Handlers are thin: extract the user from the token ([`AuthUser`]), parse the body, call the
//! domain, map [`Error`] to a status and an `ErrorBody`. A REST write therefore produces the
//! same events on the user's sockets as the equivalent socket request.

mod handlers;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use axum::Router;
use herald_protocol::wire::User;

use crate::auth;
use crate::error::Error;
use crate::server::AppState;

/// The user a request's bearer token names.
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(auth::bearer)
            .ok_or_else(|| {
                Error::Unauthorized("missing token: send Authorization: Bearer <token>".into())
            })?;
        Ok(Self(state.domain.keys.verify(token)?.user()))
    }
}

/// The service key of `POST /api/publish` and `/api/admin/*`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceAuth;

impl FromRequestParts<AppState> for ServiceAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let key = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(auth::bearer);
        let expected = state.domain.config.service_key.as_bytes();
        match key {
            Some(k) if !expected.is_empty() && constant_time_eq(k.as_bytes(), expected) => Ok(Self),
            _ => Err(Error::Unauthorized(
                "publish and admin need Authorization: Bearer <service key>".into(),
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every REST route (the caller adds `/ws` and the state).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/metrics", get(handlers::metrics))
        .route("/api/login", post(handlers::login))
        .route("/api/session/renew", post(handlers::renew_session))
        .route("/api/rooms", get(handlers::rooms))
        .route(
            "/api/rooms/{id}/messages",
            get(handlers::messages).post(handlers::post_message),
        )
        .route("/api/notifications", get(handlers::notifications))
        .route("/api/notifications/read-all", post(handlers::read_all))
        .route(
            "/api/notifications/{id}",
            patch(handlers::patch_notification),
        )
        .route("/api/publish", post(handlers::publish))
        .route(
            "/api/admin/users",
            get(handlers::admin_users).post(handlers::admin_create_user),
        )
        .route("/api/admin/rooms", post(handlers::admin_create_room))
        .route(
            "/api/friend-requests",
            get(handlers::friend_requests).post(handlers::create_friend_request),
        )
        .route(
            "/api/friend-requests/{id}",
            post(handlers::respond_friend_request),
        )
}
