//! The REST handlers (see `routes()` for the paths).

use axum::extract::rejection::JsonRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use herald_protocol::wire::{
    Empty, FriendRequest, LoginRequest, LoginResponse, Message, Notification, NotificationPatch,
    Page, PostMessage, PublishRequest, PublishResponse, Room,
};
use serde::Deserialize;

use super::{AuthUser, ServiceAuth};
use crate::error::{Error, Result};
use crate::server::AppState;

fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T> {
    json.map(|Json(t)| t)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.domain.metrics.render(),
    )
}

pub async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<LoginResponse>> {
    let req = body(req)?;
    Ok(Json(
        app.domain
            .login(&req.username, &req.password, Some(peer.ip()))
            .await?,
    ))
}

pub async fn rooms(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Room>>> {
    Ok(Json(app.domain.rooms(&user).await?))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    before: Option<String>,
    limit: Option<u32>,
    unread: Option<bool>,
}

pub async fn messages(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    Path(room_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Message>>> {
    let page = app
        .domain
        .history(&user, &room_id, q.before.as_deref(), q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Page {
        items: page.items,
        has_more: page.has_more,
    }))
}

pub async fn post_message(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    Path(room_id): Path<String>,
    req: Result<Json<PostMessage>, JsonRejection>,
) -> Result<(StatusCode, Json<Message>)> {
    let req = body(req)?;
    let message = app
        .domain
        .send_message(&user, &room_id, req.client_msg_id, &req.text, req.reply_to)
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}

pub async fn notifications(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Notification>>> {
    let page = app
        .domain
        .notifications(
            &user,
            q.before.as_deref(),
            q.limit.unwrap_or(50),
            q.unread.unwrap_or(false),
        )
        .await?;
    Ok(Json(Page {
        items: page.items,
        has_more: page.has_more,
    }))
}

pub async fn patch_notification(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    req: Result<Json<NotificationPatch>, JsonRejection>,
) -> Result<Json<Notification>> {
    let patch = body(req)?;
    Ok(Json(
        app.domain.update_notification(&user, &id, &patch).await?,
    ))
}

pub async fn read_all(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Empty>> {
    app.domain.mark_all_notifications_read(&user).await?;
    Ok(Json(Empty {}))
}

pub async fn publish(
    State(app): State<AppState>,
    _key: ServiceAuth,
    req: Result<Json<PublishRequest>, JsonRejection>,
) -> Result<Json<PublishResponse>> {
    Ok(Json(app.domain.publish_notification(body(req)?).await?))
}

pub async fn friend_requests(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<FriendRequest>>> {
    Ok(Json(app.domain.friend_requests(&user).await?))
}

/// `POST /api/friend-requests` body: a user id or username.
#[derive(Debug, Deserialize)]
pub struct NewFriendRequest {
    to: String,
}

pub async fn create_friend_request(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    req: Result<Json<NewFriendRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<FriendRequest>)> {
    let req = body(req)?;
    Ok((
        StatusCode::CREATED,
        Json(app.domain.create_friend_request(&user, &req.to).await?),
    ))
}

/// `POST /api/friend-requests/{id}` body.
#[derive(Debug, Deserialize)]
pub struct FriendResponse {
    accept: bool,
}

pub async fn respond_friend_request(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    req: Result<Json<FriendResponse>, JsonRejection>,
) -> Result<Json<FriendRequest>> {
    let req = body(req)?;
    Ok(Json(
        app.domain
            .respond_friend_request(&user, &id, req.accept)
            .await?,
    ))
}

/// `POST /api/admin/users` body.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct NewUserRequest {
    pub username: String,
    pub name: String,
    pub password: String,
}

/// `POST /api/admin/rooms` body: members by id or username.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct NewRoomRequest {
    pub name: String,
    pub kind: herald_protocol::wire::RoomKind,
    pub members: Vec<String>,
}

pub async fn admin_create_user(
    State(app): State<AppState>,
    _key: ServiceAuth,
    req: Result<Json<NewUserRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<herald_protocol::wire::User>)> {
    let req = body(req)?;
    let user = app
        .domain
        .admin_create_user(&req.username, &req.name, &req.password)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

pub async fn admin_users(
    State(app): State<AppState>,
    _key: ServiceAuth,
) -> Result<Json<Vec<herald_protocol::wire::User>>> {
    Ok(Json(app.domain.admin_users().await?))
}

pub async fn admin_create_room(
    State(app): State<AppState>,
    _key: ServiceAuth,
    req: Result<Json<NewRoomRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Room>)> {
    let req = body(req)?;
    let room = app
        .domain
        .admin_create_room(&req.name, req.kind, &req.members)
        .await?;
    Ok((StatusCode::CREATED, Json(room)))
}

/// `POST /api/session/renew`: a fresh token for the bearer's user.
pub async fn renew_session(
    State(app): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<herald_protocol::wire::RenewTokenOk>> {
    Ok(Json(app.domain.renew_token(&user).await?))
}
