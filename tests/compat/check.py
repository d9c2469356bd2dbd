#!/usr/bin/env python3
"""Self-check of the four compat backends: `$VENV/bin/python tests/compat/check.py [SEED...]`.

Each backend is started with run.py on a free port in a temp dir and driven as Herald drives
it (an Origin header like Herald's; Socket.IO as raw Engine.IO 4 over a WebSocket): login, the
socket, a live push via /_test, REST reads, mark-read, a refused token, a SIGKILL restart that
keeps the state, and a clean SIGTERM stop. Sequential (light on CPU), every wait bounded,
every child killed. Exit 0 only if all pass.
"""
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

HERE = Path(__file__).resolve().parent
WAIT = 10  # seconds for one frame or one request
START_WAIT = 60  # seconds for READY
PER_BACKEND = 180  # seconds for one backend's whole check


class Failed(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Failed(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    def __init__(self, seed, data):
        self.seed, self.data, self.port, self.proc = seed, data, free_port(), None
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"

    async def start(self):
        log = open(self.data.parent / f"{self.seed}.log", "ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "run.py"), self.seed, "--port", str(self.port), "--data", str(self.data),
            stdout=asyncio.subprocess.PIPE, stderr=log)
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), START_WAIT)
        except asyncio.TimeoutError:
            line = b""
        if line.decode().strip() != f"READY {self.port}":
            await self.kill()
            tail = (self.data.parent / f"{self.seed}.log").read_text(errors="replace")[-3000:]
            raise Failed(f"no READY line (got {line!r}):\n{tail}")

    async def kill(self):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def restart(self):
        await self.kill()
        await self.start()

    async def terminate(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 15)
        except asyncio.TimeoutError:
            await self.kill()
            raise Failed("did not stop within 15 s of SIGTERM")


class Http:
    def __init__(self, b):
        self.b = b
        self.s = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT))

    async def call(self, method, path, body=None, token=None, status=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.s.request(method, self.b.base + path, json=body, headers=headers) as r:
            text = await r.text()
            if status is None:
                need(200 <= r.status < 300, f"{method} {path}: {r.status} {text[:300]}")
            else:
                need(r.status == status, f"{method} {path}: wanted {status}, got {r.status} {text[:300]}")
            try:
                return json.loads(text)
            except ValueError:
                return None

    async def close(self):
        await self.s.close()


class Ws:
    """A JSON WebSocket; frames not waited for are skipped."""

    def __init__(self, conn):
        self.c = conn

    @classmethod
    async def open(cls, b, path):
        return cls(await ws_connect(b.ws_base + path, origin=b.base, open_timeout=WAIT))

    async def send(self, data):
        await self.c.send(data if isinstance(data, str) else json.dumps(data))

    async def expect(self, what, pred):
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            try:
                raw = await asyncio.wait_for(self.c.recv(), max(left, 0.01))
            except asyncio.TimeoutError:
                raise Failed(f"no frame with {what} within {WAIT} s") from None
            frame = self.decode(raw)
            if frame is not None and pred(frame):
                return frame

    def decode(self, raw):
        return json.loads(raw)

    async def quiet(self, what, pred, secs=0.5):
        """No frame matching `pred` within `secs`."""
        try:
            f = await asyncio.wait_for(self.expect(what, pred), secs)
        except (asyncio.TimeoutError, Failed):
            return
        raise Failed(f"unexpected {what}: {f}")

    async def close(self):
        await self.c.close()


class SocketIo(Ws):
    """Socket.IO v4 as Herald speaks it: Engine.IO 4 text packets on a WebSocket, no polling."""

    @classmethod
    async def open(cls, b, token):
        s = cls(await ws_connect(b.ws_base + "/socket.io/?EIO=4&transport=websocket", origin=b.base,
                                 open_timeout=WAIT))
        await s.expect("the Engine.IO open packet", lambda p: p[0] == "open")
        await s.send("40" + json.dumps({"token": token}))
        return s

    def decode(self, raw):
        if raw == "2":
            asyncio.ensure_future(self.c.send("3"))
            return ("ping", None)
        if raw.startswith("0"):
            return ("open", json.loads(raw[1:]))
        if raw.startswith("40"):
            return ("connected", json.loads(raw[2:] or "{}"))
        if raw.startswith("44"):
            return ("refused", json.loads(raw[2:]))
        if raw.startswith("42"):
            name, *args = json.loads(raw[2:])
            return (name, args[0] if args else None)
        return ("other", raw)


async def refused(b, path):
    try:
        c = await ws_connect(b.ws_base + path, origin=b.base, open_timeout=WAIT)
    except InvalidStatus as e:
        need(e.response.status_code == 403, f"{path}: wanted 403, got {e.response.status_code}")
        return
    await c.close()
    raise Failed(f"{path} was accepted")


async def login(h, path, body, key="token"):
    out = await h.call("POST", path, body)
    need(isinstance(out.get(key), str) and out.get("user"), f"login answer: {out}")
    return out


def is_iso_z(s):
    return isinstance(s, str) and s.endswith("Z") and "T" in s


# --- 001 --------------------------------------------------------------------------------


async def check_001(b, h):
    await h.call("POST", "/api/auth/login/", {"username": "alice", "password": "nope"}, status=401)
    out = await login(h, "/api/auth/login/", {"username": "alice", "password": "password"})
    tok = out["token"]
    need(out["user"] == {"id": 1, "username": "alice"}, f"user: {out['user']}")
    await h.call("GET", "/api/conversations/", status=401)
    await h.call("GET", "/api/conversations/", token="forged", status=401)
    await refused(b, "/ws/notifications/?user_id=1&token=forged")
    await refused(b, f"/ws/notifications/?user_id=2&token={tok}")
    ws = await Ws.open(b, f"/ws/notifications/?user_id=1&token={tok}")
    ws2 = await Ws.open(b, f"/ws/notifications/?user_id=1&token={tok}")  # a second device
    await ws.send({"type": "ping"})
    await ws.expect("pong", lambda f: f == {"event_type": "pong"})
    # A live message from bob reaches both of alice's sockets as a flat new_message
    sent = await h.call("POST", "/_test/message", {"conversation_id": "conv_1", "sender": "bob", "text": "live one"})
    for w in (ws, ws2):
        f = await w.expect("new_message", lambda f: f.get("event_type") == "new_message")
        need(f["id"] == sent["id"] and f["id"].startswith("msg_") and f["conversation_id"] == "conv_1"
             and f["text"] == "live one" and f["sender"] == "bob" and is_iso_z(f["timestamp"])
             and f["meta"] == {"customer_name": "Bob"}, f"new_message: {f}")
    convs = await h.call("GET", "/api/conversations/", token=tok)
    need([c["id"] for c in convs] == ["conv_1", "conv_2"], f"conversations order: {convs}")
    need(convs[0]["unread_count"] == 2 and convs[0]["last_message"] == "live one"
         and convs[0]["participants"] == ["alice", "bob"] and convs[0]["title"] == "Support: Acme", f"conv_1: {convs[0]}")
    msgs = await h.call("GET", "/api/conversations/conv_1/messages?limit=2", token=tok)
    need([m["id"] for m in msgs][-1] == sent["id"] and len(msgs) == 2, f"messages: {msgs}")
    older = await h.call("GET", f"/api/conversations/conv_1/messages?limit=10&before={msgs[0]['id']}", token=tok)
    need(len(older) == 2 and int(older[-1]["id"][4:]) < int(msgs[0]["id"][4:]), f"older page: {older}")
    # Sending is idempotent by client_msg_id; the echo carries it to the sender's sockets
    count = (await h.call("GET", "/_test/state?user=alice"))["messages_count"]
    body = {"text": "from check", "client_msg_id": "chk-1"}
    m1 = await h.call("POST", "/api/conversations/conv_1/messages", body, token=tok)
    m2 = await h.call("POST", "/api/conversations/conv_1/messages", body, token=tok)
    need(m1["id"] == m2["id"] and m1["client_msg_id"] == "chk-1", f"repeat created another: {m1} {m2}")
    f = await ws.expect("the echo", lambda f: f.get("event_type") == "new_message" and f.get("client_msg_id") == "chk-1")
    need(f["id"] == m1["id"], f"echo: {f}")
    await ws.quiet("a second echo", lambda f: f.get("client_msg_id") == "chk-1")
    need((await h.call("GET", "/_test/state?user=alice"))["messages_count"] == count + 1, "messages_count")
    # Notifications: live, listed, marked read
    n = await h.call("POST", "/_test/notify", {"user": "alice", "type": "system_alert", "title": "Maintenance",
                                               "content": "Tonight", "conversation_id": "conv_1"})
    f = await ws.expect("system_alert", lambda f: f.get("event_type") == "system_alert")
    need(f["id"] == n["id"] and f["type"] == "system_alert" and f["title"] == "Maintenance" and f["content"] == "Tonight"
         and f["meta"] == {"conversationId": "conv_1"} and f["read"] is False and is_iso_z(f["timestamp"]), f"alert: {f}")
    await h.call("POST", "/_test/conversation", {"title": "New one", "participants": ["alice", "carol"]})
    f = await ws.expect("new_conversation", lambda f: f.get("event_type") == "new_conversation")
    listed = await h.call("GET", "/api/notifications?limit=10", token=tok)
    need([x["id"] for x in listed] == [f["id"], n["id"]], f"notifications newest first: {listed}")
    r = await h.call("POST", f"/api/notifications/{n['id']}/read", token=tok)
    need(r["read"] is True and r["id"] == n["id"], f"read: {r}")
    need((await h.call("POST", "/api/notifications/read-all", token=tok)) == {"updated": 1}, "read-all")
    need((await h.call("POST", "/api/conversations/conv_1/read", token=tok)) == {"unread_count": 0}, "conv read")
    await h.call("POST", "/api/notifications/ntf_999/read", token=tok, status=404)
    await ws.close()
    await ws2.close()
    before = await h.call("GET", "/_test/state?user=alice")
    # A SIGKILL and a start on the same data keep everything
    await b.restart()
    after = await h.call("GET", "/_test/state?user=alice")
    need(after == before, f"state changed over a restart:\n{before}\n{after}")
    need(next(c for c in after["conversations"] if c["id"] == "conv_1")["unread_count"] == 0, "conv_1 read kept")
    need(all(x["read"] for x in after["notifications"]), "reads kept")
    ws = await Ws.open(b, f"/ws/notifications/?user_id=1&token={tok}")  # the old token still works
    await h.call("POST", "/_test/message", {"conversation_id": "conv_1", "sender": "bob", "text": "after"})
    f = await ws.expect("new_message after the restart", lambda f: f.get("text") == "after")
    need(int(f["id"][4:]) > int(m1["id"][4:]), f"ids go on: {f['id']}")
    await ws.close()


# --- 002 --------------------------------------------------------------------------------


async def check_002(b, h):
    await h.call("POST", "/v1/auth/login", {"email": "alice@example.com", "password": "nope"}, status=401)
    out = await login(h, "/v1/auth/login", {"email": "alice@example.com", "password": "password"})
    tok = out["token"]
    need(out["user"] == {"_id": "u1", "name": "Alice", "email": "alice@example.com"}, f"user: {out['user']}")
    await h.call("GET", "/v1/shops", status=401)
    shops = await h.call("GET", "/v1/shops", token=tok)
    need(shops == {"data": [{"_id": "s1", "name": "Alice Main St"}, {"_id": "s2", "name": "Alice Harbour"}]}, f"{shops}")
    bad = await SocketIo.open(b, "forged")
    f = await bad.expect("a refusal", lambda p: p[0] in ("refused", "connected"))
    need(f == ("refused", {"message": "unauthorized"}), f"forged token: {f}")
    await bad.close()
    sio = await SocketIo.open(b, tok)
    await sio.expect("CONNECT ack", lambda p: p[0] == "connected")
    sent = await h.call("POST", "/_test/emit", {"shopId": "s2", "type": "low_stock", "title": "Low stock: Milk",
                                                "message": "3 left", "meta": {"productName": "Milk", "quantity": 3}})
    name, n = await sio.expect("a notification event", lambda p: p[0] == "notification")
    need(n == sent and n["_id"] == "n4" and n["shopId"] == "s2" and n["isRead"] is False and is_iso_z(n["createdAt"])
         and n["meta"] == {"productName": "Milk", "quantity": 3}, f"event: {n}")
    page = await h.call("GET", "/v1/notifications?shopId=s2&limit=1", token=tok)
    need([x["_id"] for x in page["data"]] == ["n4"] and page["unreadCount"] == 2 and page["hasMore"] is True, f"{page}")
    page2 = await h.call("GET", "/v1/notifications?shopId=s2&limit=5&before=n4", token=tok)
    need([x["_id"] for x in page2["data"]] == ["n3"] and page2["hasMore"] is False, f"{page2}")
    await h.call("GET", "/v1/notifications?shopId=s3", token=tok, status=403)
    r = await h.call("PATCH", "/v1/notifications?shopId=s1&notificationId=n1", {"isRead": True}, token=tok)
    need(r["data"]["_id"] == "n1" and r["data"]["isRead"] is True, f"patch: {r}")
    await h.call("PATCH", "/v1/notifications?shopId=s1&notificationId=n99", {"isRead": True}, token=tok, status=404)
    await h.call("PATCH", "/v1/notifications?shopId=s1&notificationId=n3", {"isRead": True}, token=tok, status=404)
    await sio.close()
    before = await h.call("GET", "/_test/state?user=u1")
    need([(x["_id"], x["isRead"]) for x in before["notifications"]] == [("n1", True), ("n2", True), ("n3", False), ("n4", False)],
         f"state: {before}")
    await b.restart()
    need(await h.call("GET", "/_test/state?user=u1") == before, "state changed over a restart")
    sio = await SocketIo.open(b, tok)
    await sio.expect("CONNECT ack after the restart", lambda p: p[0] == "connected")
    again = await h.call("POST", "/_test/emit", {"shopId": "s1", "type": "sale_completed", "title": "Sale",
                                                 "message": "12,000", "meta": {"amount": 12000}})
    _, n = await sio.expect("a notification after the restart", lambda p: p[0] == "notification")
    need(n["_id"] == again["_id"] == "n5", f"ids go on: {n}")
    await sio.close()


# --- 003 --------------------------------------------------------------------------------


async def check_003(b, h):
    await h.call("POST", "/api/auth/login/", {"username": "alice", "password": "nope"}, status=401)
    tok = (await login(h, "/api/auth/login/", {"username": "alice", "password": "password"}, "access"))["access"]
    bob = (await login(h, "/api/auth/login/", {"username": "bob", "password": "password"}, "access"))["access"]
    await h.call("GET", "/api/notifications/", status=401)
    await refused(b, "/ws/realtime/?token=forged")
    await refused(b, "/ws/realtime/")
    ws = await Ws.open(b, f"/ws/realtime/?token={tok}")
    bws = await Ws.open(b, f"/ws/realtime/?token={bob}")
    await ws.send({"type": "ping"})
    await ws.expect("pong", lambda f: f == {"type": "pong"})
    await ws.send("{not json")
    await ws.expect("an error for bad JSON", lambda f: f.get("type") == "error" and f.get("message"))
    await ws.send({"type": "dance"})
    await ws.expect("an error for an unknown type", lambda f: f.get("type") == "error")
    await ws.send({"type": "ping"})
    await ws.expect("pong after the errors", lambda f: f == {"type": "pong"})
    n = await h.call("POST", "/_test/notify", {"user": "alice", "notification_type": "Like",
                                               "message": "bob liked Sunset", "sender": "bob"})
    f = await ws.expect("notification_message", lambda f: f.get("type") == "notification_message")
    need(f["notification"] == n and n["notification_type"] == "Like" and n["sender"] == {"id": 2, "username": "bob"}
         and n["is_read"] is False and n["link"] is None and is_iso_z(n["created_at"]), f"{f}")
    fr = await h.call("POST", "/_test/friend_request", {"from_user": "carol", "to_user": "alice"})
    f = await ws.expect("friend_request_update", lambda f: f.get("type") == "friend_request_update")
    need(f["action"] == "created" and f["friend_request"] == fr and fr["status"] == "pending"
         and fr["from_user"] == {"id": 3, "username": "carol"}, f"{f}")
    f = await ws.expect("the Friend Request notification", lambda f: f.get("type") == "notification_message")
    need(f["notification"]["notification_type"] == "Friend Request", f"{f}")
    listed = await h.call("GET", "/api/notifications/?limit=50", token=tok)
    ids = [x["id"] for x in listed["results"]]
    need(ids == sorted(ids, reverse=True) and len(ids) == 5 and listed["unread_count"] == 4, f"{listed}")
    reqs = await h.call("GET", "/api/friend-requests/", token=tok)
    need(sorted(r["id"] for r in reqs["results"]) == [1, fr["id"]], f"{reqs}")
    await ws.send({"type": "mark_as_read", "notification_id": 1})
    f = await ws.expect("notification_read", lambda f: f.get("type") == "notification_read")
    need(f == {"type": "notification_read", "notification_id": 1, "unread_count": 3}, f"{f}")
    await ws.send({"type": "mark_as_read", "notification_id": 999})
    await ws.expect("an error for someone else's id", lambda f: f.get("type") == "error")
    # Only the receiver answers; accepting tells both and notifies the sender
    await h.call("POST", "/api/friend-requests/1/accept/", token=bob, status=403)
    acc = await h.call("POST", "/api/friend-requests/1/accept/", token=tok)
    need(acc["status"] == "accepted" and acc["id"] == 1, f"{acc}")
    for w in (ws, bws):
        f = await w.expect("accepted update", lambda f: f.get("type") == "friend_request_update")
        need(f["action"] == "accepted" and f["friend_request"]["status"] == "accepted", f"{f}")
    f = await bws.expect("Friend Request Accepted", lambda f: f.get("type") == "notification_message")
    need(f["notification"]["notification_type"] == "Friend Request Accepted"
         and f["notification"]["sender"]["username"] == "alice", f"{f}")
    await h.call("POST", "/api/friend-requests/1/decline/", token=tok, status=409)
    dec = await h.call("POST", f"/api/friend-requests/{fr['id']}/decline/", token=tok)
    need(dec["status"] == "declined", f"{dec}")
    await ws.send({"type": "mark_all_as_read"})
    f = await ws.expect("all_notifications_read", lambda f: f.get("type") == "all_notifications_read")
    need(f == {"type": "all_notifications_read", "unread_count": 0}, f"{f}")
    await ws.close()
    await bws.close()
    before = await h.call("GET", "/_test/state?user=alice")
    need(all(x["is_read"] for x in before["notifications"]) and before["friend_requests"][0] == {"id": 1, "status": "accepted"},
         f"{before}")
    await b.restart()
    need(await h.call("GET", "/_test/state?user=alice") == before, "state changed over a restart")
    ws = await Ws.open(b, f"/ws/realtime/?token={tok}")
    await h.call("POST", "/_test/notify", {"user": "alice", "notification_type": "Comment", "message": "after"})
    f = await ws.expect("a notification after the restart", lambda f: f.get("type") == "notification_message")
    need(f["notification"]["id"] == 7, f"ids go on: {f}")
    await ws.close()


# --- 004 --------------------------------------------------------------------------------


async def check_004(b, h):
    await h.call("POST", "/api/auth/login/", {"username": "alice", "password": "nope"}, status=401)
    out = await login(h, "/api/auth/login/", {"username": "alice", "password": "password"})
    tok = out["token"]
    need(out["user"] == {"id": 1, "username": "alice", "role": "customer"}, f"{out['user']}")
    bob = (await login(h, "/api/auth/login/", {"username": "bob", "password": "password"}))["token"]
    await h.call("GET", "/chat/rooms/", status=401)
    await refused(b, "/ws/user/1/?token=forged")
    await refused(b, f"/ws/user/2/?token={tok}")
    await refused(b, f"/ws/job_chat/20/?token={tok}")
    ws = await Ws.open(b, f"/ws/user/1/?token={tok}")
    f = await ws.expect("room_list", lambda f: f.get("type") == "room_list")
    rooms = f["rooms"]
    need([r["id"] for r in rooms] == [5, 12], f"room_list: {rooms}")
    need(rooms[0]["unread_count"] == 2 and rooms[0]["room_type"] == "job" and rooms[0]["name"] == "Job #5 \u2013 Deep clean"
         and rooms[0]["participants"] == [{"id": 1, "username": "alice"}, {"id": 2, "username": "bob"}]
         and rooms[0]["last_message"] == "Job 5 message 60" and is_iso_z(rooms[0]["updated_at"]), f"{rooms[0]}")
    need(await h.call("GET", "/chat/rooms/", token=tok) == rooms, "REST room list = room_list")
    bws = await Ws.open(b, f"/ws/user/2/?token={bob}")
    await bws.expect("bob's room_list", lambda f: f.get("type") == "room_list")
    count = (await h.call("GET", "/_test/state?user=alice"))["messages_count"]
    await bws.send({"type": "typing", "room_id": 5, "is_typing": True})
    f = await ws.expect("typing", lambda f: f.get("type") == "typing")
    need(f == {"type": "typing", "room_id": 5, "user": {"id": 2, "username": "bob"}, "is_typing": True}, f"{f}")
    await bws.send({"type": "message", "room_id": 5, "message": "On my way", "client_msg_id": "chk-1"})
    f = await ws.expect("chat_message", lambda f: f.get("type") == "chat_message")
    m = f["message"]
    need(f["room_id"] == 5 and m["room_id"] == 5 and m["content"] == "On my way" and m["sender"] == {"id": 2, "username": "bob"}
         and m["message_type"] == "text" and m["reply_to"] is None and m["client_msg_id"] == "chk-1"
         and isinstance(m["id"], int) and is_iso_z(m["timestamp"]), f"{f}")
    f = await ws.expect("unread_count", lambda f: f.get("type") == "unread_count")
    need(f == {"type": "unread_count", "room_id": 5, "unread_count": 3}, f"{f}")
    await bws.expect("bob's echo", lambda f: f.get("type") == "chat_message" and f["message"]["id"] == m["id"])
    await bws.send({"type": "message", "room_id": 5, "message": "On my way", "client_msg_id": "chk-1"})
    f = await bws.expect("the resend's echo", lambda f: f.get("type") == "chat_message")
    need(f["message"]["id"] == m["id"], f"a resend made a new message: {f}")
    await ws.quiet("the resend at alice", lambda f: f.get("type") == "chat_message")
    need((await h.call("GET", "/_test/state?user=alice"))["messages_count"] == count + 1, "messages_count")
    await ws.send({"type": "message", "room_id": 20, "message": "not mine"})
    await ws.expect("an error for a room not hers", lambda f: f.get("type") == "error")
    await ws.send({"type": "ping"})
    await ws.expect("pong", lambda f: f == {"type": "pong"})
    # The as-is per-room socket still works and feeds the unified one
    legacy = await Ws.open(b, f"/ws/job_chat/12/?token={tok}")
    await legacy.send({"type": "message", "message": "via job_chat"})
    f = await legacy.expect("as-is chat_message", lambda f: f.get("type") == "chat_message")
    need(set(f) == {"type", "message"} and f["message"]["content"] == "via job_chat", f"{f}")
    await ws.expect("the unified copy", lambda f: f.get("type") == "chat_message" and f["message"]["content"] == "via job_chat")
    await legacy.close()
    sent = await h.call("POST", "/_test/message", {"room_id": 12, "sender": "carol", "content": "Sure"})
    f = await ws.expect("carol's message", lambda f: f.get("type") == "chat_message" and f["room_id"] == 12)
    need(f["message"] == sent, f"{f}")
    # History pages back to the first message
    seen, before_id = [], None
    for _ in range(10):
        q = f"?limit=20&before={before_id}" if before_id else "?limit=20"
        page = await h.call("GET", f"/chat/rooms/5/messages/{q}", token=tok)
        seen = page["results"] + seen
        if not page["has_more"]:
            break
        before_id = page["results"][0]["id"]
    ids = [x["id"] for x in seen]
    need(len(ids) == 61 and ids == sorted(ids) and seen[0]["content"] == "Job 5 message 1", f"history: {len(ids)} {ids[:3]}")
    await ws.send({"type": "load_messages", "room_id": 5, "before": m["id"]})
    f = await ws.expect("messages", lambda f: f.get("type") == "messages")
    need(f["room_id"] == 5 and f["messages"][-1]["content"] == "Job 5 message 60" and len(f["messages"]) == 20, f"{f}")
    await ws.send({"type": "mark_read", "room_id": 5})
    f = await ws.expect("unread_count after mark_read", lambda f: f.get("type") == "unread_count" and f["room_id"] == 5)
    need(f == {"type": "unread_count", "room_id": 5, "unread_count": 0}, f"{f}")
    need(await h.call("POST", "/chat/rooms/12/read/", token=tok) == {"unread_count": 0}, "REST read")
    await h.call("GET", "/chat/rooms/20/messages/", token=tok, status=404)
    await ws.close()
    await bws.close()
    before = await h.call("GET", "/_test/state?user=alice")
    need(before["rooms"] == [{"id": 12, "unread_count": 0}, {"id": 5, "unread_count": 0}], f"{before}")
    await b.restart()
    need(await h.call("GET", "/_test/state?user=alice") == before, "state changed over a restart")
    ws = await Ws.open(b, f"/ws/user/1/?token={tok}")
    f = await ws.expect("room_list after the restart", lambda f: f.get("type") == "room_list")
    need([(r["id"], r["unread_count"]) for r in f["rooms"]] == [(12, 0), (5, 0)], f"{f}")
    await ws.close()


CHECKS = {"001": check_001, "002": check_002, "003": check_003, "004": check_004}


async def run_one(seed, root):
    b = Backend(seed, root / seed / "data")
    b.data.mkdir(parents=True)
    h = Http(b)
    try:
        await b.start()
        await asyncio.wait_for(CHECKS[seed](b, h), PER_BACKEND)
        code = await b.terminate()
        need(code in (0, -signal.SIGTERM), f"exit status {code} after SIGTERM")
    finally:
        await h.close()
        await b.kill()


async def main(seeds):
    failed = 0
    with tempfile.TemporaryDirectory(prefix="herald-compat-check-") as tmp:
        for seed in seeds:
            t = time.monotonic()
            try:
                await run_one(seed, Path(tmp))
                print(f"PASS {seed} ({time.monotonic() - t:.1f} s)", flush=True)
            except Exception as e:  # noqa: BLE001 - report every kind of failure, then go on
                failed += 1
                print(f"FAIL {seed}: {type(e).__name__}: {e}", flush=True)
                log = Path(tmp) / seed / f"{seed}.log"
                if log.exists() and os.environ.get("HERALD_COMPAT_SHOW_LOG", "1") == "1":
                    print(log.read_text(errors="replace")[-4000:], flush=True)
    print(f"{len(seeds) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(CHECKS)
    unknown = [s for s in wanted if s not in CHECKS]
    if unknown:
        sys.exit(f"unknown seed(s): {unknown}; choose from {list(CHECKS)}")
    sys.exit(asyncio.run(main(wanted)))
