//! The REST side of a profile backend: the sign-in and the calls the adapter asks for. Run by
//! the driver off its task; answers are bounded (8 MiB) and failures become the IPC error
//! codes the sign-in form shows.

use std::time::Duration;

use herald_protocol::ipc::{ErrorCode, UiError};
use herald_protocol::wire::{LoginResponse, User};
use serde_json::Value;

use super::fields::{self, Var};
use super::profile::Profile;
use super::{HttpAnswer, HttpRequest};
use crate::login::http_base;

/// Largest REST answer read from a backend.
pub const MAX_ANSWER_BYTES: usize = 8 << 20;

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("could not set up HTTP: {e}"))
}

/// Makes one call; the body is read up to [`MAX_ANSWER_BYTES`].
pub async fn execute(req: HttpRequest) -> Result<HttpAnswer, String> {
    let client = client(Duration::from_secs(20))?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut builder = client.request(method, &req.url);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if let Some(body) = &req.body {
        builder = builder.json(body);
    }
    let mut resp = builder.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is over {} MiB", MAX_ANSWER_BYTES >> 20));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(HttpAnswer { status, body })
}

/// Signs in to a profile backend: `POST [login].path` with the body template, then reads the
/// token and the user from the answer.
pub async fn login(
    profile: &Profile,
    server_url: &str,
    username: &str,
    password: &str,
) -> Result<LoginResponse, UiError> {
    let base = http_base(server_url);
    let l = &profile.login;
    let body = fields::render(&l.body, &|n| match n {
        "username" => Some(Var::Text(username.to_owned())),
        "password" => Some(Var::Text(password.to_owned())),
        _ => None,
    });
    let url = if l.path.contains("://") {
        l.path.clone()
    } else {
        format!("{base}{}", l.path)
    };
    let answer = execute(HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![("Origin".into(), base.clone())],
        body: Some(body),
    })
    .await
    .map_err(|e| {
        UiError::new(
            ErrorCode::ServerUnreachable,
            format!("Could not reach {base} ({e}). Check the server address and your network, then try again."),
        )
    })?;
    match answer.status {
        200..=299 => {}
        400 | 401 | 403 => {
            return Err(UiError::new(
                ErrorCode::WrongPassword,
                "Wrong username or password. Check both and try again.",
            ))
        }
        404 | 405 => {
            return Err(UiError::new(
                ErrorCode::ServerUnreachable,
                format!(
                    "{base} has no sign-in at {} (it answered {}). Is this a {} backend? Choose the backend that matches the server.",
                    l.path, answer.status, profile.name
                ),
            ))
        }
        s => {
            return Err(UiError::new(
                ErrorCode::ServerUnreachable,
                format!("The server answered {s}. Try again in a moment."),
            ))
        }
    }
    let text = |path: &str| fields::get(&answer.body, path).and_then(fields::text);
    let unreadable = |what: &str, path: &str| {
        UiError::new(
            ErrorCode::Internal,
            format!(
                "The sign-in answer has no {what} at `{path}`; the backend is not what the {} profile expects (fix `login` in the profile).",
                profile.name
            ),
        )
    };
    let token = text(&l.token).ok_or_else(|| unreadable("token", &l.token))?;
    let id = text(&l.user_id).ok_or_else(|| unreadable("user id", &l.user_id))?;
    let name = text(&l.user_name).unwrap_or_else(|| username.to_owned());
    Ok(LoginResponse {
        token,
        user: User { id, name },
    })
}
