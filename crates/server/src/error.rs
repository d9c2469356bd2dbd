//! The server's one error type, and how it maps onto the wire.
//!
//! Domain functions, the store and the auth layer all return [`Error`]; the socket turns it into
//! a `reply {error}` and REST into an HTTP status with an [`ErrorBody`]. Clients match on the
//! [`ErrorCode`], never on the message, so messages may change freely; internal details (SQL
//! errors) are logged, not sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_protocol::wire::{ErrorBody, ErrorCode};

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Missing, invalid or expired credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed (a room the user is not a member of).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The object does not exist (for this user).
    #[error("not found: {0}")]
    NotFound(String),
    /// A malformed or invalid input.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Over a size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Faster than the configured rate (sends, other writes, logins); `retry_after` is how long
    /// until the same request can succeed.
    #[error("rate limited: {what}; retry in {} s", retry_after.as_secs_f64().ceil())]
    RateLimited {
        what: &'static str,
        retry_after: std::time::Duration,
    },
    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The storage backend failed.
    #[error("storage failed: {0}")]
    Storage(String),
    /// Anything else that should not happen.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::TooLarge(_) => ErrorCode::TooLarge,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Storage(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status REST answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Storage(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client is told: internal failures are logged here and reported generically.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            Self::Storage(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                ErrorBody::new(ErrorCode::Internal, "internal error; retry later")
            }
            Self::RateLimited { retry_after, .. } => {
                ErrorBody::new(self.code(), self.to_string()).with_retry_after(*retry_after)
            }
            other => ErrorBody::new(other.code(), other.to_string()),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("json: {e}"))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Self::RateLimited { retry_after, .. } = &self {
            let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            return (
                self.status(),
                [(axum::http::header::RETRY_AFTER, secs.to_string())],
                Json(self.to_body()),
            )
                .into_response();
        }
        (self.status(), Json(self.to_body())).into_response()
    }
}

/// Result with the server's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
