from herald_compat.common import (
    api, csrf_view, error, int_param, login_view, ok, session_login_view, user_named,
)

from . import service
from .models import FriendRequest, Notification

login = login_view("access", refresh=True)
# The cookie sign-in of a web frontend on the same backend (Django session + CSRF).
session_login = session_login_view()
csrf = csrf_view


@api(["GET"])
def notifications(request):
    limit = int_param(request, "limit", 50)
    if limit is None:
        return error(400, "limit must be a number")
    qs = Notification.objects.filter(recipient=request.me).select_related("sender")
    page = qs.order_by("-created_at", "-id")[:limit]
    return ok({"results": [service.notification_json(n) for n in page], "unread_count": service.unread_count(request.me)})


@api(["GET"])
def friend_requests(request):
    qs = service.requests_of(request.me).order_by("-created_at", "-id")
    return ok({"results": [service.friend_request_json(r) for r in qs]})


def answer(accept):
    @api(["POST"])
    def view(request, pk):
        r = FriendRequest.objects.filter(pk=pk).select_related("from_user", "to_user").first()
        if r is None:
            return error(404, "no such friend request")
        if r.to_user_id != request.me.id:
            return error(403, "only the receiver can answer a friend request")
        done = service.answer_friend_request(r, accept)
        if done is None:
            return error(409, f"the friend request is already {r.status}")
        return ok(service.friend_request_json(done))

    return view


accept = answer(True)
decline = answer(False)


# Test control: not part of the seed; save, then push.


@api(["POST"], auth=False)
def test_notify(request):
    b = request.json
    user = user_named(b.get("user"))
    sender = user_named(b.get("sender")) if b.get("sender") else None
    if user is None or not b.get("notification_type") or not isinstance(b.get("message"), str):
        return error(400, "user, notification_type and message are required")
    if b.get("sender") and sender is None:
        return error(400, "no such sender")
    n = service.notify(user, str(b["notification_type"]), b["message"], sender=sender, link=b.get("link"))
    return ok(service.notification_json(n), status=201)


@api(["POST"], auth=False)
def test_friend_request(request):
    b = request.json
    from_user, to_user = user_named(b.get("from_user")), user_named(b.get("to_user"))
    if from_user is None or to_user is None or from_user == to_user:
        return error(400, "from_user and to_user (two usernames) are required")
    r = service.send_friend_request(from_user, to_user)
    return ok(service.friend_request_json(r), status=201)


@api(["GET"], auth=False)
def test_state(request):
    user = user_named(request.GET.get("user"))
    if user is None:
        return error(400, "user is required")
    return ok({
        "notifications": [
            {"id": n.id, "is_read": n.is_read, "notification_type": n.notification_type}
            for n in Notification.objects.filter(recipient=user).order_by("id")
        ],
        "friend_requests": [{"id": r.id, "status": r.status} for r in service.requests_of(user).order_by("id")],
        "unread_count": service.unread_count(user),
    })
