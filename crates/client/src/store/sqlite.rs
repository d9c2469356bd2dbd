//! The SQLite [`Store`] (rusqlite, bundled): WAL journal, schema migrations via
//! rusqlite_migration, every [`Changes`] applied in one transaction.
//!
//! Rows keep the wire objects as JSON next to the few columns we query by (room, time, id), so
//! the schema does not have to follow every protocol field and old rows still decode after an
//! additive protocol change.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use herald_protocol::wire::{Message, StreamPosition};
use herald_protocol::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

use super::{message_order, Changes, Store, StoreError, StoredOp, StoredSession, StoredState};

/// What can fail under [`SqliteStore`]; it becomes a [`StoreError`] at the trait boundary (the
/// store contract lives in herald-engine, which has no SQLite dependency to name these in).
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Migration(#[from] rusqlite_migration::Error),
    #[error(transparent)]
    Decode(#[from] serde_json::Error),
}

impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::Sqlite(e) => StoreError::Database(Box::new(e)),
            SqlError::Migration(e) => StoreError::Migration(Box::new(e)),
            SqlError::Decode(e) => StoreError::Decode(e),
        }
    }
}

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE rooms (id TEXT PRIMARY KEY, json TEXT NOT NULL);
     CREATE TABLE messages (
         id TEXT PRIMARY KEY, room_id TEXT NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL);
     CREATE INDEX messages_by_room ON messages (room_id, at, id);
     CREATE TABLE notifications (id TEXT PRIMARY KEY, at INTEGER NOT NULL, json TEXT NOT NULL);
     CREATE TABLE friend_requests (id TEXT PRIMARY KEY, json TEXT NOT NULL);
     CREATE TABLE outbox (client_msg_id TEXT PRIMARY KEY, json TEXT NOT NULL);
     CREATE TABLE drafts (room_id TEXT PRIMARY KEY, text TEXT NOT NULL);
     CREATE TABLE notified (key TEXT PRIMARY KEY);",
    ),
    // 2: queued read marks / notification actions survive a crash (see `StoredOp`).
    M::up("CREATE TABLE pending_ops (key TEXT PRIMARY KEY, json TEXT NOT NULL);"),
];

/// See the module docs.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// Background WAL checkpoints (file databases only); stopped on drop.
    _checkpointer: Option<Checkpointer>,
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the WAL on a thread and connection of its own (PASSIVE: it never blocks the
/// driver's commits), so applying a `Changes` never pays for a checkpoint and its fsync — an
/// automatic checkpoint every 1000 pages was the tail of the publish -> UI event latency.
#[derive(Debug)]
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// `None` (and SQLite's automatic checkpoints stay on) if the thread cannot start.
    fn start(path: &Path) -> Result<Option<Self>, SqlError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("herald-wal-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*flag;
                let Ok(mut stopped) = lock.lock() else { return };
                loop {
                    match wake.wait_timeout(stopped, CHECKPOINT_EVERY) {
                        Ok((guard, _)) => stopped = guard,
                        Err(_) => return,
                    }
                    if *stopped {
                        return;
                    }
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
                    }
                }
            });
        match thread {
            Ok(thread) => Ok(Some(Self {
                stop,
                thread: Some(thread),
            })),
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint thread; SQLite checkpoints inline");
                Ok(None)
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Ok(Self::open_sql(path.as_ref())?)
    }

    fn open_sql(path: &Path) -> Result<Self, SqlError> {
        let conn = Connection::open(path)?;
        let mut store = Self::init(conn)?;
        store._checkpointer = Checkpointer::start(path)?;
        if store._checkpointer.is_some() {
            // The driver's connection never checkpoints; the checkpointer does, beside it.
            store.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(store)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Ok(Self::init(
            Connection::open_in_memory().map_err(SqlError::from)?,
        )?)
    }

    fn init(mut conn: Connection) -> Result<Self, SqlError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Self {
            conn,
            _checkpointer: None,
        })
    }

    fn kv_get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SqlError> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(match v {
            Some(s) => Some(serde_json::from_str(&s)?),
            None => None,
        })
    }
}

fn kv_set<T: serde::Serialize>(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    v: &T,
) -> Result<(), SqlError> {
    tx.execute(
        "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, serde_json::to_string(v)?],
    )?;
    Ok(())
}

fn json_rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<T>, SqlError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(serde_json::from_str(&row?)?);
    }
    Ok(out)
}

fn clear_server_state(tx: &rusqlite::Transaction<'_>) -> Result<(), SqlError> {
    tx.execute_batch(
        "DELETE FROM rooms; DELETE FROM messages; DELETE FROM notifications;
         DELETE FROM friend_requests; DELETE FROM kv WHERE key = 'notifications_unread';",
    )?;
    Ok(())
}

impl SqliteStore {
    fn load_sql(&self, recent: usize) -> Result<StoredState, SqlError> {
        // The newest `recent` of each room, one indexed query per room (messages_by_room):
        // start-up cost grows with rooms × recent, not with everything ever cached.
        let mut messages = Vec::new();
        {
            let rooms: Vec<String> = {
                let mut stmt = self.conn.prepare("SELECT DISTINCT room_id FROM messages")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut stmt = self.conn.prepare(
                "SELECT json FROM messages WHERE room_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
            )?;
            for room in &rooms {
                let rows =
                    stmt.query_map(params![room, recent as i64], |r| r.get::<_, String>(0))?;
                for row in rows {
                    messages.push(serde_json::from_str::<Message>(&row?)?);
                }
            }
            messages.sort_by(|a, b| message_order(a).cmp(&message_order(b)));
        }
        let mut notified = std::collections::HashSet::new();
        {
            let mut stmt = self.conn.prepare("SELECT key FROM notified")?;
            for k in stmt.query_map([], |r| r.get::<_, String>(0))? {
                notified.insert(k?);
            }
        }
        let drafts = {
            let mut stmt = self
                .conn
                .prepare("SELECT room_id, text FROM drafts ORDER BY room_id")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        Ok(StoredState {
            session: self.kv_get::<StoredSession>("session")?,
            position: self.kv_get::<StreamPosition>("position")?,
            rooms: json_rows(&self.conn, "SELECT json FROM rooms ORDER BY id")?,
            messages,
            notifications: json_rows(&self.conn, "SELECT json FROM notifications ORDER BY id")?,
            notifications_unread: self.kv_get::<u32>("notifications_unread")?.unwrap_or(0),
            friend_requests: json_rows(&self.conn, "SELECT json FROM friend_requests ORDER BY id")?,
            outbox: json_rows(&self.conn, "SELECT json FROM outbox ORDER BY client_msg_id")?,
            ops: {
                let mut stmt = self
                    .conn
                    .prepare("SELECT key, json FROM pending_ops ORDER BY key")?;
                let rows = stmt.query_map([], |r| {
                    Ok(StoredOp {
                        key: r.get(0)?,
                        json: r.get(1)?,
                    })
                })?;
                rows.collect::<Result<Vec<_>, _>>()?
            },
            drafts,
            notified,
            settings: self.kv_get("settings")?,
        })
    }

    fn apply_sql(&mut self, c: &Changes) -> Result<(), SqlError> {
        let tx = self.conn.transaction()?;
        if let Some(session) = &c.session {
            let current: Option<StoredSession> = {
                let v: Option<String> = tx
                    .query_row("SELECT value FROM kv WHERE key = 'session'", [], |r| {
                        r.get(0)
                    })
                    .optional()?;
                v.map(|s| serde_json::from_str(&s)).transpose()?
            };
            if session.is_none() || current.as_ref() != session.as_ref() {
                clear_server_state(&tx)?;
                tx.execute_batch(
                    "DELETE FROM outbox; DELETE FROM pending_ops; DELETE FROM drafts; DELETE FROM notified;
                     DELETE FROM kv WHERE key IN ('position', 'session');",
                )?;
            }
            if let Some(s) = session {
                kv_set(&tx, "session", s)?;
            }
        }
        if c.reset_server_state {
            clear_server_state(&tx)?;
        }
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO rooms (id, json) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            )?;
            for r in &c.rooms {
                stmt.execute(params![r.id, serde_json::to_string(r)?])?;
            }
            let mut del_room = tx.prepare_cached("DELETE FROM rooms WHERE id = ?1")?;
            let mut del_msgs = tx.prepare_cached("DELETE FROM messages WHERE room_id = ?1")?;
            for id in &c.removed_rooms {
                del_room.execute([id])?;
                del_msgs.execute([id])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO messages (id, room_id, at, json) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET room_id = excluded.room_id, at = excluded.at, json = excluded.json",
            )?;
            for m in &c.messages {
                let (at, _) = message_order(m);
                stmt.execute(params![
                    m.id,
                    m.room_id,
                    at as i64,
                    serde_json::to_string(m)?
                ])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO notifications (id, at, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            )?;
            for n in &c.notifications {
                stmt.execute(params![
                    n.id,
                    n.created_at.unix_timestamp(),
                    serde_json::to_string(n)?
                ])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO friend_requests (id, json) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            )?;
            for f in &c.friend_requests {
                stmt.execute(params![f.id, serde_json::to_string(f)?])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO outbox (client_msg_id, json) VALUES (?1, ?2) ON CONFLICT(client_msg_id) DO UPDATE SET json = excluded.json",
            )?;
            for o in &c.outbox {
                stmt.execute(params![o.client_msg_id, serde_json::to_string(o)?])?;
            }
            let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE client_msg_id = ?1")?;
            for id in &c.outbox_removed {
                stmt.execute([id])?;
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO pending_ops (key, json) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET json = excluded.json",
            )?;
            for o in &c.ops {
                stmt.execute([&o.key, &o.json])?;
            }
            let mut stmt = tx.prepare_cached("DELETE FROM pending_ops WHERE key = ?1")?;
            for key in &c.ops_removed {
                stmt.execute([key])?;
            }
            let mut upsert = tx.prepare_cached(
                "INSERT INTO drafts (room_id, text) VALUES (?1, ?2) ON CONFLICT(room_id) DO UPDATE SET text = excluded.text",
            )?;
            let mut delete = tx.prepare_cached("DELETE FROM drafts WHERE room_id = ?1")?;
            for (room, text) in &c.drafts {
                if text.is_empty() {
                    delete.execute([room])?;
                } else {
                    upsert.execute([room, text])?;
                }
            }
            let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO notified (key) VALUES (?1)")?;
            for k in &c.notified {
                stmt.execute([k])?;
            }
        }
        if let Some(u) = c.notifications_unread {
            kv_set(&tx, "notifications_unread", &u)?;
        }
        if let Some(s) = &c.settings {
            kv_set(&tx, "settings", s)?;
        }
        if let Some(p) = &c.position {
            kv_set(&tx, "position", p)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn messages_before_sql(
        &self,
        room_id: &str,
        before: Option<(Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<Message>, SqlError> {
        let mut out = Vec::new();
        let limit = limit as i64;
        match before {
            Some((at, id)) => {
                let at = at.unix_timestamp_nanos() as i64;
                let mut stmt = self.conn.prepare_cached(
                    "SELECT json FROM messages WHERE room_id = ?1 AND (at < ?2 OR (at = ?2 AND id < ?3))
                     ORDER BY at DESC, id DESC LIMIT ?4",
                )?;
                for row in
                    stmt.query_map(params![room_id, at, id, limit], |r| r.get::<_, String>(0))?
                {
                    out.push(serde_json::from_str::<Message>(&row?)?);
                }
            }
            None => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT json FROM messages WHERE room_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
                )?;
                for row in stmt.query_map(params![room_id, limit], |r| r.get::<_, String>(0))? {
                    out.push(serde_json::from_str::<Message>(&row?)?);
                }
            }
        }
        out.reverse();
        Ok(out)
    }

    fn flush_sql(&mut self) -> Result<(), SqlError> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn load(&self, recent: usize) -> Result<StoredState, StoreError> {
        Ok(self.load_sql(recent)?)
    }

    fn apply(&mut self, changes: &Changes) -> Result<(), StoreError> {
        Ok(self.apply_sql(changes)?)
    }

    fn messages_before(
        &self,
        room_id: &str,
        before: Option<(Timestamp, &str)>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        Ok(self.messages_before_sql(room_id, before, limit)?)
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        Ok(self.flush_sql()?)
    }
}
