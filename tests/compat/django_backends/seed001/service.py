"""Seed 001's data rules: save first, then push to every socket of each user (group
`user_<id>`, as the seed's NotificationConsumer joins)."""
from django.db import transaction
from django.db.models import F

from herald_compat.common import iso, next_time, push

from .models import Conversation, Message, Notification, Participant

NOTIFICATION_TYPES = ("new_conversation", "system_alert")


def group(user_id):
    return f"user_{user_id}"


def parse_id(prefix, raw):
    """`conv_12` -> 12 (also a bare `12`); None when it is neither."""
    raw = str(raw)
    if raw.startswith(prefix + "_"):
        raw = raw[len(prefix) + 1:]
    return int(raw) if raw.isdigit() else None


def message_json(m):
    out = {
        "id": f"msg_{m.id}",
        "conversation_id": f"conv_{m.conversation_id}",
        "text": m.text,
        "sender": m.sender.username,
        "timestamp": iso(m.timestamp),
        "meta": {"customer_name": m.sender.first_name or m.sender.username},
    }
    if m.client_msg_id:
        out["client_msg_id"] = m.client_msg_id
    return out


def notification_json(n):
    meta = {"conversationId": f"conv_{n.conversation_id}"} if n.conversation_id else {}
    return {
        "id": f"ntf_{n.id}",
        "type": n.type,
        "title": n.title,
        "content": n.content,
        "meta": meta,
        "timestamp": iso(n.timestamp),
        "read": n.read,
    }


def conversation_json(c, user):
    members = list(c.members.select_related("user").order_by("user_id"))
    mine = next((p for p in members if p.user_id == user.id), None)
    last = c.messages.order_by("-id").first()
    return {
        "id": f"conv_{c.id}",
        "title": c.title,
        "participants": [p.user.username for p in members],
        "unread_count": mine.unread_count if mine else 0,
        "last_message": last.text if last else None,
        "updated_at": iso(c.updated_at),
    }


def conversations_of(user):
    return Conversation.objects.filter(members__user=user).order_by("-updated_at", "-id")


def send_message(conv, sender, text, client_msg_id=None):
    """Returns (message, created). A repeat of (sender, client_msg_id) returns the first one."""
    if client_msg_id:
        old = Message.objects.filter(sender=sender, client_msg_id=client_msg_id).first()
        if old is not None:
            return old, False
    with transaction.atomic():
        m = Message.objects.create(
            conversation=conv, sender=sender, text=text,
            timestamp=next_time(Message, "timestamp"), client_msg_id=client_msg_id or None,
        )
        conv.updated_at = m.timestamp
        conv.save(update_fields=["updated_at"])
        conv.members.exclude(user=sender).update(unread_count=F("unread_count") + 1)
    frame = message_json(m)
    for uid in conv.members.values_list("user_id", flat=True):
        push(group(uid), {"type": "new_message", "message": frame})
    return m, True


def notify(user, type_, title, content, conversation=None):
    n = Notification.objects.create(
        user=user, type=type_, title=title, content=content, conversation=conversation,
        timestamp=next_time(Notification, "timestamp"),
    )
    push(group(user.id), {"type": "new_notification", "notification": notification_json(n)})
    return n


def create_conversation(title, users):
    now = next_time(Conversation, "updated_at")
    c = Conversation.objects.create(title=title, created_at=now, updated_at=now)
    for u in users:
        Participant.objects.create(conversation=c, user=u)
    for u in users:
        notify(u, "new_conversation", "New conversation", title, conversation=c)
    return c


def mark_conversation_read(conv, user):
    Participant.objects.filter(conversation=conv, user=user).update(unread_count=0)
