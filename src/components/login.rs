//! The sign-in screen: server URL (prefilled with the last one used), the backend it is
//! (herald-server, a built-in profile or a profile file: docs/backends.md), username and
//! password or, for a backend behind a web sign-in (SSO), a pasted token; progress while
//! signing in, and errors that say what to do.

use herald_protocol::ipc::{
    EngineCommand, ErrorCode, Session, SessionCommand, UiCommand, UiError, UiReply, BACKENDS,
};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::icons::{icon, Icon};
use crate::store::session::SessionState;
use crate::store::shell::{CoreStatus, ShellState};
use crate::store::sync;

/// The default server for a first start: the demo server on this machine.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The select's value for "a profile file" (the path goes in its own field).
pub const PROFILE_FILE: &str = "file";

/// The `backend` of the login command for the form's choice: `None` for herald-server.
pub fn backend_for(choice: &str, profile_path: &str) -> Result<Option<String>, String> {
    match choice {
        "" | "herald" => Ok(None),
        PROFILE_FILE if profile_path.trim().is_empty() => {
            Err("Enter the path of the backend's profile file".into())
        }
        PROFILE_FILE => Ok(Some(profile_path.trim().to_owned())),
        name => Ok(Some(name.to_owned())),
    }
}

/// What the username field is called for the chosen backend ("Email" on Ventree).
pub fn username_label(choice: &str) -> &'static str {
    BACKENDS
        .iter()
        .find(|b| b.name == choice)
        .map(|b| b.username_label)
        .unwrap_or("Username")
}

/// What the form says after "Detect": the first guess is preselected, the others named.
pub fn detected_text(names: &[String]) -> String {
    let label = |n: &String| {
        BACKENDS
            .iter()
            .find(|b| b.name == n.as_str())
            .map(|b| b.label.to_owned())
            .unwrap_or_else(|| n.clone())
    };
    match names {
        [] => {
            "No backend Herald knows answered at this address: choose it below, or a profile file."
                .to_owned()
        }
        [one] => format!("This server looks like: {}.", label(one)),
        [first, rest @ ..] => format!(
            "This server looks like: {} (or: {}).",
            label(first),
            rest.iter().map(label).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// What a person reads when signing in failed.
pub fn login_error_text(e: &UiError) -> String {
    match e.code {
        ErrorCode::ServerUnreachable => {
            "Can't reach the server — check the URL and that it is running".to_owned()
        }
        ErrorCode::WrongPassword | ErrorCode::Unauthorized => {
            "Wrong username or password".to_owned()
        }
        _ => e.message.clone(),
    }
}

#[function_component(Login)]
pub fn login() -> Html {
    let session = use_dispatch::<SessionState>();
    let last_url = use_selector(|s: &SessionState| match &s.session {
        Session::SignedOut { last_server_url } => last_server_url.clone(),
        Session::SignedIn { server_url, .. } => Some(server_url.clone()),
    });
    let server = use_state(|| {
        (*last_url)
            .clone()
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned())
    });
    let username = use_state(String::new);
    let password = use_state(String::new);
    let backend = use_state(|| "herald".to_owned());
    let profile_path = use_state(String::new);
    let use_token = use_state(|| false);
    let token = use_state(String::new);
    let busy = use_state(|| false);
    let detected = use_state(|| None::<String>);
    let detecting = use_state(|| false);
    let error = use_state(|| None::<String>);
    // Set when the core refused to send the password unencrypted; the person may confirm.
    let cleartext_warning = use_state(|| None::<String>);
    let allow_cleartext = use_state(|| false);
    let touched_server = use_mut_ref(|| false);
    let last_backend = use_selector(|s: &SessionState| s.backend.kind.clone());

    {
        // The view state may arrive after the first render: prefill unless the user typed.
        let server = server.clone();
        let touched = touched_server.clone();
        use_effect_with((*last_url).clone(), move |url| {
            if let Some(url) = url {
                if !*touched.borrow() {
                    server.set(url.clone());
                }
            }
        });
    }

    {
        // The last backend used (a refused token, a sign-out) is offered again, unless the
        // person already chose; a profile file is known by its name only, so it is not.
        let backend = backend.clone();
        use_effect_with((*last_backend).clone(), move |kind| {
            if *backend == "herald" && BACKENDS.iter().any(|b| b.name == kind.as_str()) {
                backend.set(kind.clone());
            }
        });
    }

    let field = |state: &UseStateHandle<String>,
                 touched: Option<std::rc::Rc<std::cell::RefCell<bool>>>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = &touched {
                *t.borrow_mut() = true;
            }
            state.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    let on_use_token = {
        let use_token = use_token.clone();
        Callback::from(move |e: Event| {
            use_token.set(e.target_unchecked_into::<HtmlInputElement>().checked());
        })
    };
    // herald-server has no pasted tokens; every profile backend may (`[login.paste]`).
    let token_mode = *use_token && *backend != "herald";

    let on_detect = {
        let (server, backend) = (server.clone(), backend.clone());
        let (detected, detecting) = (detected.clone(), detecting.clone());
        Callback::from(move |_: MouseEvent| {
            if *detecting {
                return;
            }
            detecting.set(true);
            let cmd = UiCommand::Session(SessionCommand::DetectBackend {
                server_url: server.trim().to_owned(),
            });
            let (backend, detected, detecting) =
                (backend.clone(), detected.clone(), detecting.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let text = match bridge::dispatch(cmd).await {
                    Ok(UiReply::DetectedBackends { names }) => {
                        if let Some(first) = names.first() {
                            backend.set(first.clone());
                        }
                        detected_text(&names)
                    }
                    Ok(_) => detected_text(&[]),
                    Err(e) => e.message,
                };
                detected.set(Some(text));
                detecting.set(false);
            });
        })
    };

    let on_backend = {
        let backend = backend.clone();
        Callback::from(move |e: Event| {
            backend.set(e.target_unchecked_into::<HtmlSelectElement>().value());
        })
    };

    let onsubmit = {
        let (server, username, password) = (server.clone(), username.clone(), password.clone());
        let (backend, profile_path) = (backend.clone(), profile_path.clone());
        let (busy, error, token) = (busy.clone(), error.clone(), token.clone());
        let (cleartext_warning, allow_cleartext) =
            (cleartext_warning.clone(), allow_cleartext.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            if token_mode && (token.trim().is_empty() || server.trim().is_empty()) {
                error.set(Some("Enter the server URL and paste your token".into()));
                return;
            }
            if !token_mode
                && (username.trim().is_empty() || password.is_empty() || server.trim().is_empty())
            {
                error.set(Some(
                    "Enter the server URL, your username and password".into(),
                ));
                return;
            }
            let chosen = match backend_for(&backend, &profile_path) {
                Ok(b) => b,
                Err(msg) => {
                    error.set(Some(msg));
                    return;
                }
            };
            busy.set(true);
            error.set(None);
            let cmd = UiCommand::Session(SessionCommand::Login {
                server_url: server.trim().to_owned(),
                username: username.trim().to_owned(),
                password: (*password).clone(),
                backend: chosen,
                token: token_mode.then(|| token.trim().to_owned()),
                allow_cleartext: *allow_cleartext,
            });
            let (busy, error, session) = (busy.clone(), error.clone(), session.clone());
            let cleartext_warning = cleartext_warning.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::dispatch(cmd).await {
                    Ok(_) => {
                        // The core also emits Reset; asking makes the switch independent of it.
                        // The answer can arrive after newer events (the core's Reset with the
                        // synced rooms): once a signed-in Reset is in, it is the newer truth.
                        if let Ok(UiReply::ViewState(v)) =
                            bridge::dispatch(EngineCommand::GetViewState).await
                        {
                            if !session.get().signed_in() {
                                sync::load_view_state(session.context(), *v);
                            }
                        }
                    }
                    // Not an error to fix but a question: shown with its confirm box.
                    Err(e) if e.code == ErrorCode::InsecureServer => {
                        cleartext_warning.set(Some(e.message.clone()));
                    }
                    // A refused token is not a wrong password: the core's message says which.
                    Err(e) if token_mode => error.set(Some(e.message.clone())),
                    Err(e) => error.set(Some(login_error_text(&e))),
                }
                busy.set(false);
            });
        })
    };

    html! {
        <div class="login-screen">
            <form class="login-card" {onsubmit} novalidate=true aria-busy={(*busy).to_string()}>
                <div class="login-head">
                    <span class="logo">{ icon(Icon::Bell) }</span>
                    <h1 class="brand" data-testid="brand">{ "Herald" }</h1>
                    <p class="muted">{ "Chat and notifications, live." }</p>
                </div>
                <label class="field">
                    <span>{ "Server" }</span>
                    <input type="url" name="server" value={(*server).clone()} data-testid="login-server"
                        placeholder={DEFAULT_SERVER} autocomplete="url" disabled={*busy}
                        oninput={field(&server, Some(touched_server.clone()))} />
                </label>
                <label class="field">
                    <span>{ "Backend" }</span>
                    <select class="select" name="backend" data-testid="login-backend" disabled={*busy} onchange={on_backend}>
                        { for BACKENDS.iter().map(|b| html! {
                            <option value={b.name} selected={*backend == b.name}>{ b.label }</option>
                        }) }
                        <option value={PROFILE_FILE} selected={*backend == PROFILE_FILE}>{ "Another backend (profile file)…" }</option>
                    </select>
                </label>
                <p class="detect-line muted small">
                    <button type="button" class="link-button" data-testid="login-detect" disabled={*busy || *detecting}
                        onclick={on_detect}>
                        { if *detecting { "Asking the server…" } else { "Detect from the server address" } }
                    </button>
                    if let Some(text) = &*detected {
                        <span data-testid="login-detect-result">{ text.clone() }</span>
                    }
                </p>
                if *backend == PROFILE_FILE {
                    <label class="field">
                        <span>{ "Profile file" }</span>
                        <input type="text" name="profile" value={(*profile_path).clone()} data-testid="login-profile-file"
                            placeholder="/path/to/backend.toml" disabled={*busy} oninput={field(&profile_path, None)} />
                    </label>
                }
                if *backend != "herald" {
                    <label class="check">
                        <input type="checkbox" name="use-token" checked={*use_token} data-testid="login-use-token"
                            disabled={*busy} onchange={on_use_token} />
                        <span>{ "Sign in with a token from the web app (SSO)" }</span>
                    </label>
                }
                if token_mode {
                    <label class="field">
                        <span>{ "Token" }</span>
                        <input type="password" name="token" value={(*token).clone()} data-testid="login-token"
                            autocomplete="off" spellcheck="false" disabled={*busy} oninput={field(&token, None)} />
                    </label>
                } else {
                    <label class="field">
                        <span>{ username_label(&backend) }</span>
                        <input type="text" name="username" value={(*username).clone()} data-testid="login-username"
                            autocomplete="username" disabled={*busy} oninput={field(&username, None)} />
                    </label>
                    <label class="field">
                        <span>{ "Password" }</span>
                        <input type="password" name="password" value={(*password).clone()} data-testid="login-password"
                            autocomplete="current-password" disabled={*busy} oninput={field(&password, None)} />
                    </label>
                }
                if let Some(warning) = &*cleartext_warning {
                    <div class="form-warning" role="alert" data-testid="login-cleartext-warning">
                        <p>{ icon(Icon::Alert) }<span>{ warning.clone() }</span></p>
                        <label class="check">
                            <input type="checkbox" name="allow-cleartext" checked={*allow_cleartext}
                                data-testid="login-allow-cleartext" disabled={*busy} onchange={{
                                    let allow = allow_cleartext.clone();
                                    Callback::from(move |e: Event| {
                                        let input: HtmlInputElement = e.target_unchecked_into();
                                        allow.set(input.checked());
                                    })
                                }} />
                            <span>{ "Send my password unencrypted anyway" }</span>
                        </label>
                    </div>
                }
                if let Some(err) = &*error {
                    <p class="form-error" role="alert" data-testid="login-error">{ icon(Icon::Alert) }<span>{ err.clone() }</span></p>
                }
                <button class="button primary wide" type="submit" disabled={*busy} data-testid="login-submit">
                    if *busy { <span class="spinner small" aria-hidden="true"></span>{ "Signing in…" } } else { { "Sign in" } }
                </button>
            </form>
            <footer class="login-footer"><CoreStatusLine /></footer>
        </div>
    }
}

/// "Herald 0.1.0 · protocol v1" once the core answered `app_info`, or why it did not.
#[function_component(CoreStatusLine)]
pub fn core_status_line() -> Html {
    let core = use_selector(|s: &ShellState| s.core.clone());
    match &*core {
        CoreStatus::Loading => html! {
            <p class="core-status" data-testid="core-status">{ "Starting Herald…" }</p>
        },
        CoreStatus::Ready(info) => html! {
            <p class="core-status" data-testid="core-status">
                { format!("{} {} · protocol v{}", info.name, info.version, info.protocol) }
            </p>
        },
        CoreStatus::Failed(err) => html! {
            <p class="core-status failed" role="alert" data-testid="core-status">{ err.message.clone() }</p>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_choice_becomes_the_login_backend() {
        assert_eq!(backend_for("herald", ""), Ok(None));
        assert_eq!(backend_for("ventree", ""), Ok(Some("ventree".into())));
        assert_eq!(
            backend_for(PROFILE_FILE, " /etc/herald/acme.toml "),
            Ok(Some("/etc/herald/acme.toml".into()))
        );
        assert!(backend_for(PROFILE_FILE, "  ").is_err());
        assert_eq!(username_label("ventree"), "Email");
        assert_eq!(username_label(PROFILE_FILE), "Username");
    }

    #[test]
    fn detection_names_its_guess_and_the_alternatives() {
        assert!(detected_text(&[]).starts_with("No backend"));
        assert_eq!(
            detected_text(&["artchive".into()]),
            "This server looks like: Artchive (Django Channels)."
        );
        let both = detected_text(&["ecleaner".into(), "ecleaner-asis".into()]);
        assert!(
            both.contains("(or: E-Cleaner job chat, a socket per room (as-is))"),
            "{both}"
        );
    }

    #[test]
    fn login_errors_say_what_to_do() {
        for (code, want) in [
            (
                ErrorCode::ServerUnreachable,
                "Can't reach the server — check the URL and that it is running",
            ),
            (ErrorCode::WrongPassword, "Wrong username or password"),
            (ErrorCode::InvalidInput, "The server URL is not valid"),
        ] {
            assert_eq!(
                login_error_text(&UiError::new(code, "The server URL is not valid")),
                want
            );
        }
    }
}
