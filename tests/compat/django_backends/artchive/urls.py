from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^api/auth/login/?$", views.login),
    re_path(r"^api/auth/session/?$", views.session_login),
    re_path(r"^api/auth/csrf/?$", views.csrf),
    re_path(r"^api/notifications/?$", views.notifications),
    re_path(r"^api/friend-requests/?$", views.friend_requests),
    re_path(r"^api/friend-requests/(?P<pk>\d+)/accept/?$", views.accept),
    re_path(r"^api/friend-requests/(?P<pk>\d+)/decline/?$", views.decline),
    re_path(r"^_test/notify/?$", views.test_notify),
    re_path(r"^_test/friend_request/?$", views.test_friend_request),
    re_path(r"^_test/state/?$", views.test_state),
]
