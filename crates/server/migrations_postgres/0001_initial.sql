-- Herald server schema for PostgreSQL: the same tables as the SQLite schema after its
-- migration 0002. Times are BIGINT unix microseconds (UTC); `pos` columns order rows.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE rooms (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
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
    pos           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    sender_id     TEXT NOT NULL REFERENCES users(id),
    text          TEXT NOT NULL,
    client_msg_id TEXT,
    reply_to      TEXT,
    created_at    BIGINT NOT NULL,
    edited_at     BIGINT
);
CREATE INDEX messages_by_room ON messages(room_id, pos);
CREATE UNIQUE INDEX messages_idempotency ON messages(sender_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;

CREATE TABLE notifications (
    pos           BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    link          TEXT,
    meta          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    read          BOOLEAN NOT NULL DEFAULT FALSE,
    archived      BOOLEAN NOT NULL DEFAULT FALSE,
    snoozed_until BIGINT
);
CREATE INDEX notifications_by_user ON notifications(user_id, pos);

CREATE TABLE friend_requests (
    pos        BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    from_id    TEXT NOT NULL REFERENCES users(id),
    to_id      TEXT NOT NULL REFERENCES users(id),
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX friend_requests_from ON friend_requests(from_id);
CREATE INDEX friend_requests_to ON friend_requests(to_id);

-- One ordered stream per user: `head` is the newest seq, events <= `pruned_through` are gone.
-- Appending row-locks the stream (`UPDATE ... SET head = head + 1`), which serialises the
-- writers of one user and keeps the seqs gapless.
CREATE TABLE streams (
    user_id        TEXT PRIMARY KEY,
    epoch          TEXT NOT NULL,
    head           BIGINT NOT NULL,
    pruned_through BIGINT NOT NULL
);

-- An event that reaches many users is stored once; each user's stream row points at it.
CREATE TABLE event_bodies (
    id      BIGSERIAL PRIMARY KEY,
    payload TEXT NOT NULL
);

CREATE TABLE events (
    user_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    body_id    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX events_by_age ON events(created_at);
CREATE INDEX events_by_body ON events(body_id);
