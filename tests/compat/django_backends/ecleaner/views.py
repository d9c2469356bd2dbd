from herald_compat.common import api, error, int_param, login_view, ok, user_named, user_ref

from . import service
from .consumers import OPEN_ROOM_SOCKETS
from .models import Message, Profile


def user_with_role(u):
    p = Profile.objects.filter(user=u).first()
    return {**user_ref(u), "role": p.role if p else None}


login = login_view("token", user_json=user_with_role)


def my_room(request, room_id):
    room = service.room_for(request.me, room_id)
    return room, (None if room else error(404, "no such room, or not yours"))


@api(["GET"])
def rooms(request):
    return ok(service.room_list(request.me))


@api(["GET"])
def messages(request, room_id):
    room, err = my_room(request, room_id)
    if err:
        return err
    limit = int_param(request, "limit", service.PAGE, hi=100)
    before = request.GET.get("before") or None
    if limit is None or (before is not None and not before.isdigit()):
        return error(400, "limit and before must be numbers")
    results, has_more = service.page(room, int(before) if before else None, limit)
    return ok({"results": results, "has_more": has_more})


@api(["POST"])
def read(request, room_id):
    room, err = my_room(request, room_id)
    if err:
        return err
    service.mark_read(room, request.me)
    return ok({"unread_count": 0})


# Test control: not part of the seed; save, then push (as a socket message would).


@api(["POST"], auth=False)
def test_message(request):
    b = request.json
    sender = user_named(b.get("sender"))
    room = service.room_for(sender, b.get("room_id")) if sender else None
    if room is None or not isinstance(b.get("content"), str):
        return error(400, "room_id, sender (a participant) and content are required")
    m, _ = service.send_message(room, sender, b["content"], b.get("client_msg_id"))
    return ok(service.message_json(m), status=201)


@api(["GET"], auth=False)
def test_state(request):
    user = user_named(request.GET.get("user"))
    if user is None:
        return error(400, "user is required")
    rooms = service.rooms_of(user)
    return ok({
        "rooms": [{"id": r["id"], "unread_count": r["unread_count"]} for r in service.room_list(user)],
        "messages_count": Message.objects.filter(room__in=rooms).count(),
        "room_sockets": {str(k): v for k, v in OPEN_ROOM_SOCKETS.items() if v > 0},
    })
