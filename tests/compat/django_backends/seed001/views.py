from herald_compat.common import api, error, int_param, login_view, ok, user_named, user_ref

from . import service
from .models import Conversation, Message, Notification

login = login_view("token")


def my_conversation(request, conv_id):
    pk = service.parse_id("conv", conv_id)
    conv = Conversation.objects.filter(pk=pk).first() if pk else None
    if conv is None:
        return None, error(404, "no such conversation")
    if not conv.members.filter(user=request.me).exists():
        return None, error(403, "not a participant of this conversation")
    return conv, None


@api(["GET"])
def conversations(request):
    return ok([service.conversation_json(c, request.me) for c in service.conversations_of(request.me)])


@api(["GET", "POST"])
def messages(request, conv_id):
    conv, err = my_conversation(request, conv_id)
    if err:
        return err
    if request.method == "POST":
        text = request.json.get("text")
        cmid = request.json.get("client_msg_id")
        if not isinstance(text, str) or not text.strip():
            return error(400, "text is required")
        if cmid is not None and not isinstance(cmid, str):
            return error(400, "client_msg_id must be a string")
        m, created = service.send_message(conv, request.me, text, cmid)
        return ok(service.message_json(m), status=201 if created else 200)
    limit = int_param(request, "limit", 50)
    if limit is None:
        return error(400, "limit must be a number")
    qs = conv.messages.select_related("sender")
    before = request.GET.get("before")
    if before:
        pk = service.parse_id("msg", before)
        if pk is None:
            return error(400, "before must be a message id")
        qs = qs.filter(pk__lt=pk)
    page = list(qs.order_by("-id")[:limit])
    return ok([service.message_json(m) for m in reversed(page)])


@api(["POST"])
def read_conversation(request, conv_id):
    conv, err = my_conversation(request, conv_id)
    if err:
        return err
    service.mark_conversation_read(conv, request.me)
    return ok({"unread_count": 0})


@api(["GET"])
def notifications(request):
    limit = int_param(request, "limit", 50)
    if limit is None:
        return error(400, "limit must be a number")
    qs = Notification.objects.filter(user=request.me).order_by("-timestamp", "-id")[:limit]
    return ok([service.notification_json(n) for n in qs])


@api(["POST"])
def read_notification(request, ntf_id):
    pk = service.parse_id("ntf", ntf_id)
    n = Notification.objects.filter(pk=pk, user=request.me).first() if pk else None
    if n is None:
        return error(404, "no such notification")
    if not n.read:
        n.read = True
        n.save(update_fields=["read"])
    return ok(service.notification_json(n))


@api(["POST"])
def read_all_notifications(request):
    return ok({"updated": Notification.objects.filter(user=request.me, read=False).update(read=True)})


# Test control: not part of the seed; save, then push, as the seed's own code paths do.


@api(["POST"], auth=False)
def test_message(request):
    b = request.json
    conv = Conversation.objects.filter(pk=service.parse_id("conv", b.get("conversation_id", ""))).first()
    sender = user_named(b.get("sender"))
    if conv is None or sender is None or not isinstance(b.get("text"), str):
        return error(400, "conversation_id, sender and text are required")
    m, _ = service.send_message(conv, sender, b["text"], b.get("client_msg_id"))
    return ok(service.message_json(m), status=201)


@api(["POST"], auth=False)
def test_notify(request):
    b = request.json
    user = user_named(b.get("user"))
    if user is None or b.get("type") not in service.NOTIFICATION_TYPES:
        return error(400, "user and type (new_conversation | system_alert) are required")
    conv = None
    if b.get("conversation_id"):
        conv = Conversation.objects.filter(pk=service.parse_id("conv", b["conversation_id"])).first()
        if conv is None:
            return error(400, "no such conversation")
    n = service.notify(user, b["type"], str(b.get("title", "")), str(b.get("content", "")), conv)
    return ok(service.notification_json(n), status=201)


@api(["POST"], auth=False)
def test_conversation(request):
    b = request.json
    names = b.get("participants")
    users = [user_named(n) for n in names] if isinstance(names, list) else []
    if not isinstance(b.get("title"), str) or not users or None in users:
        return error(400, "title and participants (usernames) are required")
    c = service.create_conversation(b["title"], users)
    return ok(service.conversation_json(c, users[0]), status=201)


@api(["GET"], auth=False)
def test_state(request):
    user = user_named(request.GET.get("user"))
    if user is None:
        return error(400, "user is required")
    convs = service.conversations_of(user)
    return ok({
        "user": user_ref(user),
        "conversations": [service.conversation_json(c, user) for c in convs],
        "notifications": [
            {"id": f"ntf_{n.id}", "read": n.read, "type": n.type, "title": n.title}
            for n in Notification.objects.filter(user=user).order_by("id")
        ],
        "messages_count": Message.objects.filter(conversation__in=convs).count(),
    })
