//! An unread badge: hidden at 0, "99+" above 99.

use yew::prelude::*;

use crate::components::format::badge_text;

#[derive(Properties, PartialEq)]
pub struct BadgeProps {
    pub count: u32,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// Muted rooms show a grey badge.
    #[prop_or_default]
    pub quiet: bool,
}

#[function_component(Badge)]
pub fn badge(p: &BadgeProps) -> Html {
    match badge_text(p.count) {
        None => html! {},
        Some(text) => html! {
            <span class={classes!("badge", p.quiet.then_some("quiet"))} data-testid={p.testid.clone()}>{ text }</span>
        },
    }
}
