from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^api/auth/login/?$", views.login),
    re_path(r"^api/conversations/?$", views.conversations),
    re_path(r"^api/conversations/(?P<conv_id>[^/]+)/messages/?$", views.messages),
    re_path(r"^api/conversations/(?P<conv_id>[^/]+)/read/?$", views.read_conversation),
    re_path(r"^api/notifications/?$", views.notifications),
    re_path(r"^api/notifications/read-all/?$", views.read_all_notifications),
    re_path(r"^api/notifications/(?P<ntf_id>[^/]+)/read/?$", views.read_notification),
    re_path(r"^_test/message/?$", views.test_message),
    re_path(r"^_test/notify/?$", views.test_notify),
    re_path(r"^_test/conversation/?$", views.test_conversation),
    re_path(r"^_test/state/?$", views.test_state),
]
