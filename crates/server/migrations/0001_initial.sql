-- Herald server schema v1. Times are INTEGER unix microseconds (UTC).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE rooms (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE room_members (
    room_id      TEXT NOT NULL REFERENCES rooms(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    last_read_id TEXT,
    unread_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_by_user ON room_members(user_id);

-- `pos` orders messages; `id` is the public id.
CREATE TABLE messages (
    pos           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    sender_id     TEXT NOT NULL REFERENCES users(id),
    text          TEXT NOT NULL,
    client_msg_id TEXT,
    reply_to      TEXT,
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER
);
CREATE INDEX messages_by_room ON messages(room_id, pos);
CREATE UNIQUE INDEX messages_idempotency ON messages(sender_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;

CREATE TABLE notifications (
    pos           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    link          TEXT,
    meta          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    read          INTEGER NOT NULL DEFAULT 0,
    archived      INTEGER NOT NULL DEFAULT 0,
    snoozed_until INTEGER
);
CREATE INDEX notifications_by_user ON notifications(user_id, pos);

CREATE TABLE friend_requests (
    pos        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    from_id    TEXT NOT NULL REFERENCES users(id),
    to_id      TEXT NOT NULL REFERENCES users(id),
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX friend_requests_from ON friend_requests(from_id);
CREATE INDEX friend_requests_to ON friend_requests(to_id);

-- One ordered stream per user: `head` is the newest seq, events <= `pruned_through` are gone.
CREATE TABLE streams (
    user_id        TEXT PRIMARY KEY,
    epoch          TEXT NOT NULL,
    head           INTEGER NOT NULL,
    pruned_through INTEGER NOT NULL
);

CREATE TABLE events (
    user_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_by_age ON events(created_at);
