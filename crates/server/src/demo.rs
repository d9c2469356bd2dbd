//! `herald-server demo`: seed a small shop's chat and a slow stream of realistic events.
//!
//! The seed is idempotent (a second run on the same database adds nothing), so the demo can be
//! restarted on its file and clients resume where they were. The ticker then posts a bot or
//! colleague message or a shop notification every few seconds, so a freshly started client has
//! something arriving live.

use std::sync::Arc;
use std::time::Duration;

use herald_protocol::wire::{Audience, NotificationKind, PublishRequest, RoomKind};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::Domain;
use crate::error::Result;
use crate::store::NewMessage;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "herald";
/// The demo users people log in as: (username, display name).
pub const DEMO_USERS: [(&str, &str); 3] = [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")];

const ROOMS: [(&str, RoomKind, &[&str]); 3] = [
    ("Job #5", RoomKind::Job, &["alice", "bob", "bot"]),
    ("Job #12", RoomKind::Job, &["alice", "bob", "carol", "bot"]),
    ("Support", RoomKind::Support, &["alice", "carol", "bot"]),
];

const CHATTER: [(&str, &str); 16] = [
    ("bob", "Arrived on site, starting with the kitchen."),
    ("alice", "Great, the tiles were delivered yesterday."),
    ("carol", "Customer asked if we can start at 8 tomorrow."),
    ("bob", "8 works for me."),
    ("bot", "Job status changed: In progress"),
    (
        "alice",
        "Can someone check the grout colour with the client?",
    ),
    ("carol", "Checked: they want the light grey."),
    ("bob", "Need two more boxes of the 30x60 tiles."),
    ("alice", "Ordered, arriving Thursday."),
    ("bot", "Invoice #1042 was sent to the customer"),
    ("carol", "Payment received for the deposit."),
    ("bob", "Photos of the progress are in the shared folder."),
    ("alice", "Looks good! Thanks Bob."),
    ("bot", "Reminder: site inspection on Friday at 10:00"),
    ("carol", "I'll be there for the inspection."),
    ("bob", "Wrapping up for today."),
];

async fn say(domain: &Domain, room_id: &str, sender: &str, text: &str) -> Result<()> {
    let msg = NewMessage {
        room_id: room_id.into(),
        client_msg_id: None,
        text: text.into(),
        reply_to: None,
    };
    let sent = domain.store.send_message(sender, &msg).await?;
    domain.publish(sent.events);
    Ok(())
}

fn notice(
    to: Audience,
    kind: NotificationKind,
    title: String,
    body: String,
    priority: u8,
    meta: Value,
) -> PublishRequest {
    let meta = match meta {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    PublishRequest {
        to,
        kind,
        title,
        body,
        priority,
        link: None,
        meta,
    }
}

/// Seeds users, rooms with history, friend requests and notifications, once.
pub async fn seed(domain: &Domain) -> Result<()> {
    for (username, name) in DEMO_USERS {
        domain
            .ensure_user(username, username, name, DEMO_PASSWORD)
            .await?;
    }
    let unusable: String = (0..32)
        .map(|_| rand::thread_rng().gen_range('a'..='z'))
        .collect();
    domain
        .ensure_user("bot", "bot", "Herald Bot", &unusable)
        .await?;
    domain
        .ensure_user("dave", "dave", "Dave", DEMO_PASSWORD)
        .await?;
    if domain
        .store
        .find_room_id("Job #5", "alice")
        .await?
        .is_some()
    {
        tracing::info!("demo data already present");
        return Ok(());
    }
    for (i, (name, kind, members)) in ROOMS.iter().enumerate() {
        let ids: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        let room = domain.create_room(name, *kind, &ids).await?;
        let count = [12, 40, 8][i];
        for n in 0..count {
            let (sender, text) = CHATTER[(n + i * 3) % CHATTER.len()];
            let sender = if members.contains(&sender) {
                sender
            } else {
                "bot"
            };
            say(domain, &room.id, sender, text).await?;
        }
    }
    domain.create_friend_request(&user("carol"), "bob").await?;
    domain.create_friend_request(&user("dave"), "alice").await?;
    let all = || Audience::All;
    for req in [
        notice(
            all(),
            NotificationKind::LowStock,
            "Low stock: Tile adhesive 25kg".into(),
            "Only 3 left in the warehouse".into(),
            3,
            json!({"sku": "ADH-25", "left": 3}),
        ),
        notice(
            all(),
            NotificationKind::SaleCompleted,
            "Sale completed: order #1042".into(),
            "€1,240.00 paid by card".into(),
            2,
            json!({"order": "1042"}),
        ),
        notice(
            all(),
            NotificationKind::SystemAlert,
            "Backup finished".into(),
            "Nightly backup completed without errors".into(),
            1,
            json!({}),
        ),
    ] {
        domain.publish_notification(req).await?;
    }
    tracing::info!("demo data seeded");
    Ok(())
}

fn user(id: &str) -> herald_protocol::wire::User {
    herald_protocol::wire::User {
        id: id.into(),
        name: id.into(),
    }
}

const PRODUCTS: [&str; 6] = [
    "Tile adhesive 25kg",
    "Grout light grey",
    "Porcelain tile 30x60",
    "Silicone white",
    "Spirit level 120cm",
    "Trowel 8mm",
];

async fn tick(domain: &Domain) -> Result<()> {
    let (pick, product, amount, order) = {
        let mut rng = rand::thread_rng();
        (
            rng.gen_range(0..10),
            PRODUCTS
                .choose(&mut rng)
                .copied()
                .unwrap_or("Tile adhesive 25kg"),
            rng.gen_range(20..2000),
            rng.gen_range(1100..9999),
        )
    };
    match pick {
        0..=4 => {
            let (name, _, members) = ROOMS[pick % ROOMS.len()];
            let Some(room_id) = domain.store.find_room_id(name, "bot").await? else {
                return Ok(());
            };
            let (sender, text) = CHATTER[(order as usize) % CHATTER.len()];
            let sender = if members.contains(&sender) {
                sender
            } else {
                "bot"
            };
            say(domain, &room_id, sender, text).await
        }
        5 | 6 => {
            let req = notice(
                Audience::All,
                NotificationKind::SaleCompleted,
                format!("Sale completed: order #{order}"),
                format!("€{amount}.00 paid"),
                2,
                json!({"order": order.to_string()}),
            );
            domain.publish_notification(req).await.map(|_| ())
        }
        7 => {
            let req = notice(
                Audience::All,
                NotificationKind::LowStock,
                format!("Low stock: {product}"),
                format!("Only {} left", amount % 9 + 1),
                3,
                json!({"product": product}),
            );
            domain.publish_notification(req).await.map(|_| ())
        }
        8 => {
            let req = notice(
                Audience::All,
                NotificationKind::OutOfStock,
                format!("Out of stock: {product}"),
                "Reorder now to keep jobs on schedule".into(),
                4,
                json!({"product": product}),
            );
            domain.publish_notification(req).await.map(|_| ())
        }
        _ => {
            let req = notice(
                Audience::All,
                NotificationKind::SystemAlert,
                "Payment terminal offline".into(),
                "Terminal 2 lost its connection; card payments go to terminal 1".into(),
                5,
                json!({}),
            );
            domain.publish_notification(req).await.map(|_| ())
        }
    }
}

/// Emits a demo event every `every` (±50 %) until shutdown.
pub fn spawn_ticker(
    domain: Arc<Domain>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let jitter = rand::thread_rng().gen_range(0.5..1.5);
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(every.mul_f64(jitter)) => {}
            }
            if let Err(e) = tick(&domain).await {
                tracing::warn!(error = %e, "demo tick failed");
            }
        }
    })
}
