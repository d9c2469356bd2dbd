//! Yew function components, one concern per file. They read stores through selectors and send
//! intents through [`actions`] and [`crate::bridge`].

pub mod actions;
pub mod app;
pub mod badge;
pub mod chat_list;
pub mod chat_panel;
pub mod composer;
pub mod conn_pill;
pub mod format;
pub mod friend_requests;
pub mod home;
pub mod hooks;
pub mod icons;
pub mod login;
pub mod message_list;
pub mod nav_bar;
pub mod notification_center;
pub mod notification_item;
pub mod notifications_page;
pub mod room;
pub mod settings_page;
pub mod shell;
pub mod toasts;
pub mod user_menu;
pub mod virtual_list;
