import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import service


class RealtimeConsumer(AsyncWebsocketConsumer):
    """/ws/realtime/?token=<jwt>: notifications and friend-request updates on one socket."""

    def groups_for(self, user_id):
        return [service.notifications_group(user_id), service.friend_requests_group(user_id)]

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()
            return
        self.user = user
        self.joined = self.groups_for(user.id)
        for g in self.joined:
            await self.channel_layer.group_add(g, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for g in getattr(self, "joined", []):
            await self.channel_layer.group_discard(g, self.channel_name)

    async def send_json(self, data):
        await self.send(text_data=json.dumps(data))

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
        except ValueError:
            return await self.send_json({"type": "error", "message": "invalid JSON"})
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "mark_as_read":
            try:
                nid = int(data.get("notification_id"))
            except (TypeError, ValueError):
                return await self.send_json({"type": "error", "message": "notification_id must be an integer"})
            unread = await database_sync_to_async(service.mark_read)(self.user, nid)
            if unread is None:
                return await self.send_json({"type": "error", "message": f"notification {nid} not found"})
            # Every socket of this user hears it (other devices clear it too).
            await self.channel_layer.group_send(
                service.notifications_group(self.user.id),
                {"type": "notification_read", "notification_id": nid, "unread_count": unread},
            )
        elif kind == "mark_all_as_read":
            await database_sync_to_async(service.mark_all_read)(self.user)
            await self.channel_layer.group_send(
                service.notifications_group(self.user.id), {"type": "all_notifications_read", "unread_count": 0}
            )
        else:
            await self.send_json({"type": "error", "message": f"unknown message type: {kind!r}"})

    async def notification_message(self, event):
        await self.send_json(event)

    async def friend_request_update(self, event):
        await self.send_json(event)

    async def notification_read(self, event):
        await self.send_json(event)

    async def all_notifications_read(self, event):
        await self.send_json(event)


class FriendRequestConsumer(RealtimeConsumer):
    """Legacy /ws/friend-requests/: friend-request updates only (kept for compatibility)."""

    def groups_for(self, user_id):
        return [service.friend_requests_group(user_id)]
