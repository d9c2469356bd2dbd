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
    let unreachable = |e: String| {
        UiError::new(
            ErrorCode::ServerUnreachable,
            format!("Could not reach {base} ({e}). Check the server address and your network, then try again."),
        )
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
