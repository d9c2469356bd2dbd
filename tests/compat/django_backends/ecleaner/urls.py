from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^api/auth/login/?$", views.login),
    re_path(r"^chat/rooms/?$", views.rooms),
    re_path(r"^chat/rooms/(?P<room_id>\d+)/messages/?$", views.messages),
    re_path(r"^chat/rooms/(?P<room_id>\d+)/read/?$", views.read),
    re_path(r"^_test/message/?$", views.test_message),
    re_path(r"^_test/state/?$", views.test_state),
]
