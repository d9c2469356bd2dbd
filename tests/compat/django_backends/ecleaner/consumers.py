import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import service


def to_int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class JsonConsumer(AsyncWebsocketConsumer):
    async def send_json(self, data):
        await self.send(text_data=json.dumps(data))

    async def error(self, message):
        await self.send_json({"type": "error", "message": message})

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
        except ValueError:
            return await self.error("invalid JSON")
        if not isinstance(data, dict):
            return await self.error("a frame must be a JSON object")
        handler = getattr(self, "on_" + str(data.get("type")), None)
        if handler is None:
            return await self.error(f"unknown message type: {data.get('type')!r}")
        await handler(data)

    async def on_ping(self, data):
        await self.send_json({"type": "pong"})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_message(self, room, data, text_key):
        text, cmid = data.get(text_key), data.get("client_msg_id")
        if not isinstance(text, str) or not text.strip():
            return await self.error("message text is required")
        if cmid is not None and not isinstance(cmid, str):
            return await self.error("client_msg_id must be a string")
        m, created = await database_sync_to_async(service.send_message)(room, self.user, text, cmid)
        if not created:  # a resend: only the sender hears it again
            msg = await database_sync_to_async(service.message_json)(m)
            await self.chat_message({"type": "chat_message", "room_id": m.room_id, "message": msg})


class UserConsumer(JsonConsumer):
    """Proposed /ws/user/<id>/?token=<jwt>: everything of one user on one socket."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated or str(user.id) != self.scope["url_route"]["kwargs"]["user_id"]:
            await self.close()
            return
        self.user = user
        self.group = service.user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        rooms = await database_sync_to_async(service.room_list)(user)
        await self.send_json({"type": "room_list", "rooms": rooms})

    async def room(self, data):
        room = await database_sync_to_async(service.room_for)(self.user, data.get("room_id"))
        if room is None:
            await self.error(f"room {data.get('room_id')!r} not found or not yours")
        return room

    async def on_message(self, data):
        room = await self.room(data)
        if room:
            await self.send_message(room, data, "message")

    async def on_typing(self, data):
        room = await self.room(data)
        if room:
            await database_sync_to_async(service.set_typing)(room, self.user, bool(data.get("is_typing")))

    async def on_mark_read(self, data):
        room = await self.room(data)
        if room:
            await database_sync_to_async(service.mark_read)(room, self.user)

    async def on_load_messages(self, data):
        room = await self.room(data)
        if not room:
            return
        before = data.get("before")
        if before is not None and to_int(before) is None:
            return await self.error("before must be a message id")
        limit = max(1, min(100, to_int(data.get("limit")) or service.PAGE))
        msgs, has_more = await database_sync_to_async(service.page)(room, to_int(before), limit)
        await self.send_json({"type": "messages", "room_id": room.id, "messages": msgs, "has_more": has_more})

    async def chat_message(self, event):
        await self.send_json(event)

    async def unread_count(self, event):
        await self.send_json(event)

    async def typing(self, event):
        await self.send_json(event)


# Open /ws/job_chat/ sockets per room: test control reads it (a client should hold one only
# while it needs the room).
OPEN_ROOM_SOCKETS = {}


class JobChatConsumer(JsonConsumer):
    """As-is /ws/job_chat/<room_id>/?token=<jwt>: one socket per room."""

    async def disconnect(self, code):
        if hasattr(self, "room_obj"):
            OPEN_ROOM_SOCKETS[self.room_obj.id] = OPEN_ROOM_SOCKETS.get(self.room_obj.id, 1) - 1
        await super().disconnect(code)

    async def connect(self):
        user = self.scope["user"]
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        room = await database_sync_to_async(service.room_for)(user, room_id) if user.is_authenticated else None
        if room is None:
            await self.close()
            return
        self.user, self.room_obj = user, room
        OPEN_ROOM_SOCKETS[room.id] = OPEN_ROOM_SOCKETS.get(room.id, 0) + 1
        self.group = service.room_group(room.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def on_message(self, data):
        await self.send_message(self.room_obj, data, "message")

    async def on_typing(self, data):
        await database_sync_to_async(service.set_typing)(self.room_obj, self.user, bool(data.get("is_typing")))

    async def chat_message(self, event):
        # The seed's frame: {id, sender, content, timestamp}; the room is the socket's.
        message = {k: v for k, v in event["message"].items() if k != "room_id"}
        await self.send_json({"type": "chat_message", "message": message})

    async def typing(self, event):
        if event["user"]["id"] != self.user.id:
            await self.send_json({"type": "typing", "user": event["user"], "is_typing": event["is_typing"]})
