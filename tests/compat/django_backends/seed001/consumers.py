import json

from channels.generic.websocket import AsyncWebsocketConsumer

from .service import group


class NotificationConsumer(AsyncWebsocketConsumer):
    """/ws/notifications/?user_id=<id>&token=<jwt>: one socket per user for every event."""

    async def connect(self):
        user = self.scope["user"]
        claimed = self.scope["query"].get("user_id")
        if not user.is_authenticated or claimed != str(user.id):
            await self.close()
            return
        self.group = group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("type") == "ping":
            await self.send(text_data=json.dumps({"event_type": "pong"}))
        else:
            await self.send(text_data=json.dumps({"event_type": "error", "message": "unsupported frame"}))

    async def new_message(self, event):
        await self.send(text_data=json.dumps({"event_type": "new_message", **event["message"]}))

    async def new_notification(self, event):
        n = event["notification"]
        await self.send(text_data=json.dumps({"event_type": n["type"], **n}))
