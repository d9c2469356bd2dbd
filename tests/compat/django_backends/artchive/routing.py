from django.urls import re_path

from .consumers import FriendRequestConsumer, RealtimeConsumer

websocket_urlpatterns = [
    re_path(r"^ws/realtime/?$", RealtimeConsumer.as_asgi()),
    re_path(r"^ws/friend-requests/?$", FriendRequestConsumer.as_asgi()),
]
