"""Seed 002, Ventree: shop notifications on Socket.IO v4 (python-socketio on aiohttp).

"Event happens -> Save to DB -> Send via WebSocket": every change is written to
DIR/state.json (atomically) before anything is emitted. The socket is `io(url, {auth: {token}})`;
a valid token joins room `user:<id>` and receives `notification` events for the user's shops.
"""
import asyncio
import datetime as dt
import hashlib
import json
import os
import secrets
import signal

import socketio
from aiohttp import web

from jwt_auth import bearer, make_token, user_id_of

TYPES = ("low_stock", "out_of_stock", "sale_completed")
PASSWORD = "password"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_iso(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"pbkdf2_sha256$1000${salt}${digest}"


def check_password(password, stored):
    _, _, salt, _ = stored.split("$")
    return secrets.compare_digest(hash_password(password, salt), stored)


class Store:
    """The whole state as one JSON document: users, shops, notifications, the next id."""

    def __init__(self, data_dir):
        self.path = data_dir / "state.json"
        if self.path.exists():
            self.state = json.loads(self.path.read_text())
        else:
            self.state = self.seed()
            self.save()

    @staticmethod
    def seed():
        users = [{"_id": f"u{i}", "name": name, "email": f"{name.lower()}@example.com",
                  "password": hash_password(PASSWORD)} for i, name in enumerate(["Alice", "Bob", "Carol"], 1)]
        shops = [{"_id": "s1", "name": "Alice Main St", "owner": "u1"},
                 {"_id": "s2", "name": "Alice Harbour", "owner": "u1"},
                 {"_id": "s3", "name": "Bob Corner Shop", "owner": "u2"}]
        t0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)

        def n(k, shop, type_, title, message, meta, read, minutes):
            return {"_id": f"n{k}", "shopId": shop, "type": type_, "title": title, "message": message,
                    "isRead": read, "createdAt": iso(t0 + dt.timedelta(minutes=minutes)), "meta": meta}

        notifications = [
            n(1, "s1", "low_stock", "Low stock: Rice", "Only 4 bags of Rice left",
              {"productId": "p1", "productName": "Rice", "quantity": 4}, False, 10),
            n(2, "s1", "sale_completed", "Sale completed", "Sale #1001 for \u20a68,500",
              {"saleId": "sale_1001", "amount": 8500}, True, 20),
            n(3, "s2", "out_of_stock", "Out of stock: Bread", "Bread is out of stock",
              {"productId": "p7", "productName": "Bread", "quantity": 0}, False, 30),
        ]
        return {"users": users, "shops": shops, "notifications": notifications, "next_id": 4}

    def save(self):
        tmp = self.path.with_suffix(".json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.state, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def user(self, **kv):
        return next((u for u in self.state["users"] if all(u.get(k) == v for k, v in kv.items())), None)

    def shop(self, shop_id):
        return next((s for s in self.state["shops"] if s["_id"] == shop_id), None)

    def shops_of(self, user_id):
        return [s for s in self.state["shops"] if s["owner"] == user_id]

    def in_shop(self, shop_id):
        """The shop's notifications, newest first (ties: the later id first)."""
        items = [n for n in self.state["notifications"] if n["shopId"] == shop_id]
        return sorted(items, key=lambda n: (n["createdAt"], int(n["_id"][1:])), reverse=True)

    def add(self, shop_id, type_, title, message, meta):
        now = dt.datetime.now(dt.timezone.utc)
        last = max((parse_iso(n["createdAt"]) for n in self.state["notifications"]), default=None)
        if last is not None and now <= last:  # strictly increasing times: creation order is time order
            now = last + dt.timedelta(milliseconds=1)
        k = self.state["next_id"]
        n = {"_id": f"n{k}", "shopId": shop_id, "type": type_, "title": title, "message": message,
             "isRead": False, "createdAt": iso(now), "meta": meta}
        self.state["notifications"].append(n)
        self.state["next_id"] = k + 1
        self.save()
        return n


def public(n):
    return {k: n[k] for k in ("_id", "shopId", "type", "title", "message", "isRead", "createdAt", "meta")}


def fail(status, message):
    return web.json_response({"success": False, "message": message}, status=status)


def build(data_dir):
    store = Store(data_dir)
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    routes = web.RouteTableDef()

    def me(request):
        uid = user_id_of(bearer(request.headers.get("Authorization")))
        return store.user(_id=uid) if isinstance(uid, str) else None

    async def json_body(request):
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def owned_shop(request, user):
        shop_id = request.query.get("shopId")
        if not shop_id:
            return None, fail(400, "shopId is required")
        shop = store.shop(shop_id)
        if shop is None or shop["owner"] != user["_id"]:
            return None, fail(403, "this shop is not yours")
        return shop, None

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        uid = user_id_of(token)
        user = store.user(_id=uid) if isinstance(uid, str) else None
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        await sio.save_session(sid, {"user": user["_id"]})
        await sio.enter_room(sid, f"user:{user['_id']}")

    @routes.post("/v1/auth/login")
    async def login(request):
        b = await json_body(request) or {}
        user = store.user(email=str(b.get("email", "")).lower())
        if user is None or not check_password(str(b.get("password", "")), user["password"]):
            return fail(401, "Invalid email or password")
        return web.json_response({"token": make_token(user["_id"]),
                                  "user": {"_id": user["_id"], "name": user["name"], "email": user["email"]}})

    @routes.get("/v1/shops")
    async def shops(request):
        user = me(request)
        if user is None:
            return fail(401, "unauthorized")
        return web.json_response({"data": [{"_id": s["_id"], "name": s["name"]} for s in store.shops_of(user["_id"])]})

    @routes.get("/v1/notifications")
    async def list_notifications(request):
        user = me(request)
        if user is None:
            return fail(401, "unauthorized")
        shop, err = owned_shop(request, user)
        if err:
            return err
        try:
            limit = max(1, min(100, int(request.query.get("limit") or 20)))
        except ValueError:
            return fail(400, "limit must be a number")
        items = store.in_shop(shop["_id"])
        before = request.query.get("before")
        if before:
            at = next((i for i, n in enumerate(items) if n["_id"] == before), None)
            if at is None:
                return fail(400, "before is not a notification of this shop")
            items = items[at + 1:]
        return web.json_response({
            "data": [public(n) for n in items[:limit]],
            "unreadCount": sum(1 for n in store.in_shop(shop["_id"]) if not n["isRead"]),
            "hasMore": len(items) > limit,
        })

    @routes.patch("/v1/notifications")
    async def patch_notification(request):
        user = me(request)
        if user is None:
            return fail(401, "unauthorized")
        shop, err = owned_shop(request, user)
        if err:
            return err
        b = await json_body(request)
        if b is None or not isinstance(b.get("isRead"), bool):
            return fail(400, "body must be {isRead: true|false}")
        nid = request.query.get("notificationId")
        n = next((n for n in store.in_shop(shop["_id"]) if n["_id"] == nid), None)
        if n is None:
            return fail(404, "notification not found")
        if n["isRead"] != b["isRead"]:
            n["isRead"] = b["isRead"]
            store.save()
        return web.json_response({"data": public(n)})

    # Test control: not part of the seed; save, then emit to the shop owner's room.

    @routes.post("/_test/emit")
    async def test_emit(request):
        b = await json_body(request) or {}
        shop = store.shop(b.get("shopId"))
        if shop is None or b.get("type") not in TYPES:
            return fail(400, f"shopId (a shop) and type ({' | '.join(TYPES)}) are required")
        meta = b.get("meta") if isinstance(b.get("meta"), dict) else {}
        n = store.add(shop["_id"], b["type"], str(b.get("title", "")), str(b.get("message", "")), meta)
        await sio.emit("notification", public(n), room=f"user:{shop['owner']}")
        return web.json_response(public(n), status=201)

    @routes.get("/_test/state")
    async def test_state(request):
        uid = request.query.get("user")
        shop_ids = [s["_id"] for s in store.shops_of(uid)]
        items = sorted((n for n in store.state["notifications"] if n["shopId"] in shop_ids),
                       key=lambda n: int(n["_id"][1:]))
        return web.json_response({"notifications": [{"_id": n["_id"], "shopId": n["shopId"], "isRead": n["isRead"]}
                                                    for n in items]})

    app.add_routes(routes)
    return app


def serve(port, data_dir, on_ready=lambda: None):
    async def main():
        runner = web.AppRunner(build(data_dir), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        on_ready()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())
