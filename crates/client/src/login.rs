//! Sign-in over HTTP (`POST /api/login`), before there is a socket.
//!
//! Failures map to the IPC error codes the login form matches on (`server_unreachable`,
//! `wrong_password`), each with a message that says what to do next.

use std::time::Duration;

use herald_protocol::ipc::{ErrorCode, UiError};
use herald_protocol::wire::{LoginRequest, LoginResponse};

/// The WebSocket URL for a server base URL: `http(s)://host[:port][/base]` -> `ws(s)://…/ws`.
pub fn ws_url(server_url: &str) -> String {
    let trimmed = server_url.trim_end_matches('/');
    let (scheme, rest) = match trimmed.split_once("://") {
        Some(("https", rest)) | Some(("wss", rest)) => ("wss", rest),
        Some((_, rest)) => ("ws", rest),
        None => ("ws", trimmed),
    };
    if rest.ends_with("/ws") {
        format!("{scheme}://{rest}")
    } else {
        format!("{scheme}://{rest}/ws")
    }
}

/// The HTTP base for a server URL given as `ws(s)://` or `http(s)://`.
pub fn http_base(server_url: &str) -> String {
    let trimmed = server_url.trim_end_matches('/').trim_end_matches("/ws");
    match trimmed.split_once("://") {
        Some(("wss", rest)) | Some(("https", rest)) => format!("https://{rest}"),
        Some((_, rest)) => format!("http://{rest}"),
        None => format!("http://{trimmed}"),
    }
}

/// Refuses a sign-in that would send a password or token in the clear: plain `http://` (or
/// `ws://`, or no scheme) to a host that is not this machine, unless the person confirmed
/// (`allow`). Loopback (127.0.0.0/8, ::1, localhost) is fine: nothing leaves the machine.
pub fn check_cleartext(server_url: &str, allow: bool) -> Result<(), UiError> {
    if allow {
        return Ok(());
    }
    let base = http_base(server_url);
    let Ok(url) = reqwest::Url::parse(&base) else {
        return Ok(()); // not a URL: the sign-in itself says so
    };
    if url.scheme() != "http" {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default();
    let local = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let d = host.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    if local {
        return Ok(());
    }
    Err(UiError::new(
        ErrorCode::InsecureServer,
        format!(
            "{} is not encrypted (http://): your password would cross the network readable by anyone on the way. Use https:// if the server has it, or confirm to sign in anyway.",
            url.host_str().unwrap_or("This server")
        ),
    ))
}

/// Signs in; returns the token and the user.
pub async fn login(
    server_url: &str,
    username: &str,
    password: &str,
) -> Result<LoginResponse, UiError> {
    let base = http_base(server_url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| UiError::new(ErrorCode::Internal, format!("could not set up HTTP: {e}")))?;
    let resp = client
        .post(format!("{base}/api/login"))
        .json(&LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        })
        .send()
        .await
        .map_err(|e| unreachable(&base, e))?;
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(UiError::new(
            ErrorCode::WrongPassword,
            "Wrong username or password. Check both and try again.",
        ));
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(sign_in_backoff(resp).await);
    }
    if !status.is_success() {
        return Err(UiError::new(
            ErrorCode::ServerUnreachable,
            format!("The server answered {status}. Try again in a moment."),
        ));
    }
    resp.json::<LoginResponse>().await.map_err(|e| {
        UiError::new(
            ErrorCode::Internal,
            format!("The server's answer could not be read ({e}); is this a Herald server?"),
        )
    })
}

/// A 429 on sign-in: the server spaces out attempts after failed ones. Says how long to wait
/// (the body's `retry_after_ms`, else `Retry-After`), so the person is not left guessing.
async fn sign_in_backoff(resp: reqwest::Response) -> UiError {
    let header_secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body_ms = resp
        .json::<herald_protocol::wire::ErrorBody>()
        .await
        .ok()
        .and_then(|b| b.retry_after_ms);
    let secs = body_ms
        .map(|ms| ms.div_ceil(1000))
        .or(header_secs)
        .unwrap_or(1)
        .max(1);
    let wait = if secs < 120 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    };
    UiError::new(
        ErrorCode::RateLimited,
        format!(
            "Too many failed sign-ins for this account or address. Wait {wait}, then try again."
        ),
    )
}

/// The sign-in error when `base` did not answer (every sign-in path says it the same way).
pub fn unreachable(base: &str, e: impl std::fmt::Display) -> UiError {
    UiError::new(
        ErrorCode::ServerUnreachable,
        format!("Could not reach {base} ({e}). Check the server address and your network, then try again."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_socket_and_http_urls_from_any_server_url() {
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("https://h.example/"), "wss://h.example/ws");
        assert_eq!(ws_url("ws://h:1/ws"), "ws://h:1/ws");
        assert_eq!(http_base("wss://h.example/ws"), "https://h.example");
        assert_eq!(http_base("127.0.0.1:9"), "http://127.0.0.1:9");
    }
}

#[cfg(test)]
mod cleartext_tests {
    use super::*;

    #[test]
    fn a_password_over_plain_http_to_another_machine_needs_the_persons_yes() {
        for url in [
            "http://chat.example.com",
            "ws://10.0.0.5:8080/ws",
            "chat.example.com:8080",
        ] {
            let e = check_cleartext(url, false).unwrap_err();
            assert_eq!(e.code, ErrorCode::InsecureServer, "{url}");
            assert!(check_cleartext(url, true).is_ok(), "{url} once confirmed");
        }
        for url in [
            "https://chat.example.com",
            "wss://chat.example.com/ws",
            "http://127.0.0.1:8787",
            "http://127.1.2.3",
            "http://[::1]:8080",
            "http://localhost:8000",
            "http://app.localhost",
        ] {
            assert!(check_cleartext(url, false).is_ok(), "{url}");
        }
    }
}
