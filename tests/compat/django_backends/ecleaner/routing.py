from django.urls import re_path

from .consumers import JobChatConsumer, UserConsumer

websocket_urlpatterns = [
    re_path(r"^ws/user/(?P<user_id>\d+)/?$", UserConsumer.as_asgi()),
    re_path(r"^ws/job_chat/(?P<room_id>\d+)/?$", JobChatConsumer.as_asgi()),
]
