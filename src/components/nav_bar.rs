//! The nav bar: the product name, then the chat and bell buttons whose unread badges the UI
//! issue fills in.

use yew::prelude::*;

#[function_component(NavBar)]
pub fn nav_bar() -> Html {
    html! {
        <header class="nav-bar" data-testid="nav-bar">
            <span class="brand" data-testid="brand">{ "Herald" }</span>
            <nav class="nav-actions" aria-label="Herald">
                <button class="icon-button" type="button" aria-label="Chats" data-testid="chat-button" disabled=true>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 5h16v10H8l-4 4z" /></svg>
                </button>
                <button class="icon-button" type="button" aria-label="Notifications" data-testid="bell-button" disabled=true>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 20h4" /></svg>
                </button>
            </nav>
        </header>
    }
}
