//! The full notifications page: all / unread / archived, by kind, archive and snooze, and a
//! virtualised list (fixed row height: only the rows in view are in the DOM) that loads older
//! pages from the server as it nears its end (and when a filter leaves it too short to scroll).

use herald_protocol::ipc::EngineCommand;
use herald_protocol::wire::NotificationKind;
use web_sys::{Element, HtmlSelectElement};
use yew::prelude::*;
use yewdux::prelude::*;

use crate::bridge;
use crate::components::actions::load_older_notifications;
use crate::components::hooks::use_now;
use crate::components::icons::{icon, kind_label, Icon};
use crate::components::notification_item::NotificationItem;
use crate::components::virtual_list::visible_range;
use crate::store::notifications::{Filter, NotificationsState};

/// Height of one row on this page (CSS `.page .notification` matches it).
pub const ROW_HEIGHT: f64 = 76.0;
/// Start loading the next page when the view is this close to the end of the list.
const LOAD_AHEAD_PX: f64 = ROW_HEIGHT * 4.0;

#[function_component(NotificationsPage)]
pub fn notifications_page() -> Html {
    let (state, dispatch) = use_store::<NotificationsState>();
    let now = use_now(30_000);
    let filter = use_state(Filter::default);
    let kind = use_state(|| None::<NotificationKind>);
    let scroll = use_state(|| (0.0f64, 600.0f64));
    let list_ref = use_node_ref();
    let items = state.filtered(*filter, kind.as_ref(), now);

    let onscroll = {
        let scroll = scroll.clone();
        let list_ref = list_ref.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = list_ref.cast::<Element>() {
                scroll.set((f64::from(el.scroll_top()), f64::from(el.client_height())));
            }
        })
    };
    {
        let scroll = scroll.clone();
        let list_ref = list_ref.clone();
        use_effect_with((), move |_| {
            if let Some(el) = list_ref.cast::<Element>() {
                scroll.set((f64::from(el.scroll_top()), f64::from(el.client_height())));
            }
        });
    }
    let (start, end) = visible_range(scroll.0, scroll.1, ROW_HEIGHT, items.len(), 6);
    let total_height = ROW_HEIGHT * items.len() as f64;
    {
        // Near the end (or a list too short to scroll): the next page. Runs after each render,
        // so a page that still leaves the view short asks for the one after it.
        let near_end = scroll.0 + scroll.1 >= total_height - LOAD_AHEAD_PX;
        let dispatch = dispatch.clone();
        use_effect_with(
            (
                near_end,
                state.has_more,
                state.loading,
                state.error.is_some(),
                items.len(),
            ),
            move |(near_end, has_more, loading, failed, _)| {
                if *near_end && *has_more && !*loading && !*failed {
                    load_older_notifications(&dispatch);
                }
            },
        );
    }
    let retry = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| load_older_notifications(&dispatch))
    };
    let tab = |f: Filter, label: &'static str| {
        let filter_state = filter.clone();
        let onclick = Callback::from(move |_: MouseEvent| filter_state.set(f));
        html! {
            <button type="button" role="tab" aria-selected={(*filter == f).to_string()}
                class={classes!("tab", (*filter == f).then_some("active"))} {onclick}
                data-testid={format!("filter-{}", label.to_lowercase())}>{ label }</button>
        }
    };
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            kind.set(if v.is_empty() {
                None
            } else {
                Some(NotificationKind::from(v))
            });
        })
    };
    let mark_all =
        Callback::from(|_: MouseEvent| bridge::send(EngineCommand::MarkAllNotificationsRead));
    html! {
        <section class="page notifications-page" data-testid="notifications-page">
            <header class="page-head">
                <h1>{ "Notifications" }</h1>
                <button type="button" class="button" onclick={mark_all} disabled={state.unread == 0}>{ icon(Icon::Check) }{ "Mark all as read" }</button>
            </header>
            <div class="toolbar">
                <div class="tabs" role="tablist">
                    { tab(Filter::All, "All") }
                    { tab(Filter::Unread, "Unread") }
                    { tab(Filter::Archived, "Archived") }
                </div>
                <select class="select" onchange={on_kind} aria-label="Kind" data-testid="kind-filter">
                    <option value="" selected={kind.is_none()}>{ "All kinds" }</option>
                    { for NotificationKind::KNOWN.iter().map(|k| html! {
                        <option value={k.as_str().to_owned()} selected={kind.as_ref() == Some(k)}>{ kind_label(k) }</option>
                    }) }
                </select>
            </div>
            <div class="card list-viewport" ref={list_ref} {onscroll} data-testid="notifications-viewport">
                if items.is_empty() && !state.loading {
                    <p class="empty">{ icon(Icon::Bell) }<span>{ "Nothing here" }</span></p>
                } else {
                    <ul class="notification-list virtual" style={format!("height:{total_height}px")}>
                        <li class="spacer" aria-hidden="true" style={format!("height:{}px", ROW_HEIGHT * start as f64)}></li>
                        { for items[start..end].iter().map(|n| html! {
                            <NotificationItem key={n.id.clone()} notification={n.clone()} {now} actions=true />
                        }) }
                    </ul>
                }
                if state.loading {
                    <div class="loading-older" data-testid="notifications-loading"><span class="spinner small"></span>{ "Loading older notifications…" }</div>
                } else if let Some(error) = &state.error {
                    <div class="history-error" role="status">
                        <span>{ error.clone() }</span>
                        <button type="button" class="button" onclick={retry}>{ "Retry" }</button>
                    </div>
                } else if !state.has_more && !items.is_empty() {
                    <div class="history-start" data-testid="notifications-end">{ "No older notifications" }</div>
                }
            </div>
        </section>
    }
}
