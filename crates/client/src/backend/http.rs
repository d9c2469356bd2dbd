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
    execute_keeping_cookies(req).await.map(|(answer, _)| answer)
}

/// [`execute`], also returning the cookies the answer set (`name`, `value`), in order.
async fn execute_keeping_cookies(
    req: HttpRequest,
) -> Result<(HttpAnswer, Vec<(String, String)>), String> {
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
    let cookies = resp
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(set_cookie_pair)
        .collect();
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is over {} MiB", MAX_ANSWER_BYTES >> 20));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((HttpAnswer { status, body }, cookies))
}

/// `sessionid=abc; Path=/; HttpOnly` -> (`sessionid`, `abc`).
fn set_cookie_pair(header: &str) -> Option<(String, String)> {
    let pair = header.split(';').next()?;
    let (name, value) = pair.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then(|| (name.to_owned(), value.trim().to_owned()))
}

/// A cookie jar as one `Cookie` header value; a later cookie of the same name replaces.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CookieJar(Vec<(String, String)>);

impl CookieJar {
    pub fn set(&mut self, cookies: Vec<(String, String)>) {
        for (name, value) in cookies {
            self.0.retain(|(n, _)| *n != name);
            if !value.is_empty() && value != "\"\"" {
                self.0.push((name, value));
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `a=1; b=2`: the `Cookie` header, and the `{token}` of a session sign-in.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Reads a [`CookieJar::header`] back (the stored `{token}` of a session sign-in).
    pub fn parse(header: &str) -> CookieJar {
        let mut jar = CookieJar::default();
        jar.set(
            header
                .split(';')
                .filter_map(|p| p.split_once('='))
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .collect(),
        );
        jar
    }
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
    let (Some(path), Some(body)) = (&l.path, &l.body) else {
        return Err(UiError::new(
            ErrorCode::InvalidInput,
            format!(
                "The {} backend is signed in to with a token, not a password: paste the token from its web app.",
                profile.name
            ),
        ));
    };
    let body = fields::render(body, &|n| match n {
        "username" => Some(Var::Text(username.to_owned())),
        "password" => Some(Var::Text(password.to_owned())),
        _ => None,
    });
    let url = if path.contains("://") {
        path.clone()
    } else {
        format!("{base}{path}")
    };
    let unreachable = |e: String| crate::login::unreachable(&base, e);
    let absolute = |path: &str| {
        if path.contains("://") {
            path.to_owned()
        } else {
            format!("{base}{path}")
        }
    };
    let mut jar = CookieJar::default();
    let mut headers = vec![("Origin".into(), base.clone())];
    if let Some(session) = &l.session {
        if let Some(from) = &session.csrf_from {
            let (_, cookies) = execute_keeping_cookies(HttpRequest {
                method: "GET".into(),
                url: absolute(from),
                headers: headers.clone(),
                body: None,
            })
            .await
            .map_err(unreachable)?;
            jar.set(cookies);
        }
        if let Some(csrf) = jar.get(&session.csrf_cookie) {
            headers.push((session.csrf_header.clone(), csrf.to_owned()));
            headers.push(("Referer".into(), format!("{base}/")));
        }
        if !jar.header().is_empty() {
            headers.push(("Cookie".into(), jar.header()));
        }
    }
    let (answer, cookies) = execute_keeping_cookies(HttpRequest {
        method: "POST".into(),
        url,
        headers,
        body: Some(body),
    })
    .await
    .map_err(unreachable)?;
    jar.set(cookies);
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
                    "{base} has no sign-in at {path} (it answered {}). Is this a {} backend? Choose the backend that matches the server.",
                    answer.status, profile.name
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
    let token = match (&l.token, &l.session) {
        (Some(path), _) => text(path).ok_or_else(|| unreadable("token", path))?,
        (None, _) if jar.header().is_empty() => {
            return Err(unreadable("session cookie", "Set-Cookie"));
        }
        (None, _) => jar.header(),
    };
    let id = text(&l.user_id).ok_or_else(|| unreadable("user id", &l.user_id))?;
    let name = text(&l.user_name).unwrap_or_else(|| username.to_owned());
    Ok(LoginResponse {
        token,
        user: User { id, name },
    })
}

/// Signs in with a token the person pasted (`[login.paste]`): asks the backend who it belongs
/// to, or reads the JWT's claims. The token is kept exactly as pasted (trimmed).
pub async fn login_with_token(
    profile: &Profile,
    server_url: &str,
    token: &str,
) -> Result<LoginResponse, UiError> {
    let token = token.trim();
    let Some(paste) = &profile.login.paste else {
        return Err(UiError::new(
            ErrorCode::InvalidInput,
            format!(
                "The {} profile takes no pasted token (it has no [login.paste]); sign in with your password.",
                profile.name
            ),
        ));
    };
    if token.is_empty() || token.len() > 16 * 1024 || token.contains(char::is_whitespace) {
        return Err(UiError::new(
            ErrorCode::InvalidInput,
            "Paste the whole token: one line, no spaces.",
        ));
    }
    let base = http_base(server_url);
    let who = match &paste.path {
        Some(path) => {
            let fill = |t: &str| {
                fields::fill(t, |n| match n {
                    "token" => Some(token.to_owned()),
                    _ => None,
                })
            };
            let url = if path.contains("://") {
                path.clone()
            } else {
                format!("{base}{path}")
            };
            let headers = profile
                .rest
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), fill(v)))
                .chain([("Origin".to_owned(), base.clone())])
                .collect();
            let answer = execute(HttpRequest {
                method: "GET".into(),
                url: fill(&url),
                headers,
                body: None,
            })
            .await
            .map_err(|e| crate::login::unreachable(&base, e))?;
            match answer.status {
                200..=299 => answer.body,
                401 | 403 => return Err(refused_token()),
                s => {
                    return Err(UiError::new(
                        ErrorCode::ServerUnreachable,
                        format!("The server answered {s} when asked whose token this is. Try again in a moment."),
                    ))
                }
            }
        }
        None => jwt_claims(token).ok_or_else(|| {
            UiError::new(
                ErrorCode::InvalidInput,
                "This is not a token the backend issued (a JWT: three parts separated by dots). Copy it again.",
            )
        })?,
    };
    let text = |path: &str| fields::get(&who, path).and_then(fields::text);
    let id = text(&paste.user_id).ok_or_else(|| {
        UiError::new(
            ErrorCode::InvalidInput,
            format!(
                "The token names no user at `{}`; the {} profile's [login.paste] does not match this backend.",
                paste.user_id, profile.name
            ),
        )
    })?;
    let name = paste
        .user_name
        .as_deref()
        .and_then(text)
        .unwrap_or_else(|| id.clone());
    Ok(LoginResponse {
        token: token.to_owned(),
        user: User { id, name },
    })
}

fn refused_token() -> UiError {
    UiError::new(
        ErrorCode::Unauthorized,
        "The backend refused this token (expired or revoked). Copy a fresh one and try again.",
    )
}

/// The payload of a JWT, unverified (the backend verifies it on every call).
fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_payload_is_read_and_anything_else_refused() {
        // {"alg":"HS256"} . {"user_id":7,"username":"alice"} . signature
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3LCJ1c2VybmFtZSI6ImFsaWNlIn0.c2ln";
        assert_eq!(
            jwt_claims(token),
            Some(serde_json::json!({"user_id": 7, "username": "alice"}))
        );
        for bad in ["", "abc", "a.b", "a.b.c.d", "a.!!!.c", "a.bnVsbA.c"] {
            assert_eq!(jwt_claims(bad), None, "{bad}");
        }
    }

    #[test]
    fn set_cookie_headers_become_one_cookie_header_with_the_newest_value() {
        let mut jar = CookieJar::default();
        jar.set(
            ["csrftoken=aaa; expires=Thu, 02 Dec 2027 10:00:00 GMT; Path=/; SameSite=Lax"]
                .iter()
                .filter_map(|h| set_cookie_pair(h))
                .collect(),
        );
        jar.set(
            ["sessionid=s1; HttpOnly; Path=/", "csrftoken=bbb; Path=/"]
                .iter()
                .filter_map(|h| set_cookie_pair(h))
                .collect(),
        );
        assert_eq!(jar.header(), "sessionid=s1; csrftoken=bbb");
        assert_eq!(
            CookieJar::parse(&jar.header()).get("csrftoken"),
            Some("bbb")
        );
        // A deleted cookie (empty value) goes away
        jar.set(vec![("sessionid".into(), "\"\"".into())]);
        assert_eq!(jar.header(), "csrftoken=bbb");
        assert_eq!(set_cookie_pair("garbage"), None);
    }
}
