"""E-Cleaner's rules, the proposed unified socket: each user's sockets are group `user_<id>`
(room_list, chat_message, unread_count, typing); the as-is per-room sockets are group
`job_chat_<room>`. Every change is saved before it is pushed."""
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from herald_compat.common import iso, next_time, push, user_ref

from .models import ChatParticipant, ChatRoom, Message

PAGE = 20


def user_group(user_id):
    return f"user_{user_id}"


def room_group(room_id):
    return f"job_chat_{room_id}"


def message_json(m):
    out = {
        "id": m.id,
        "room_id": m.room_id,
        "sender": user_ref(m.sender),
        "content": m.content,
        "message_type": m.message_type,
        "timestamp": iso(m.timestamp),
        "reply_to": m.reply_to_id,
    }
    if m.client_msg_id:
        out["client_msg_id"] = m.client_msg_id
    return out


def room_json(room, user):
    parts = list(room.participants.select_related("user").order_by("user_id"))
    mine = next((p for p in parts if p.user_id == user.id), None)
    last = room.messages.order_by("-id").first()
    return {
        "id": room.id,
        "name": room.name,
        "room_type": room.room_type,
        "unread_count": mine.unread_count if mine else 0,
        "last_message": last.content if last else None,
        "updated_at": iso(room.updated_at),
        "participants": [user_ref(p.user) for p in parts],
    }


def rooms_of(user):
    return ChatRoom.objects.filter(participants__user=user, is_active=True).order_by("-updated_at", "-id")


def room_list(user):
    return [room_json(r, user) for r in rooms_of(user)]


def room_for(user, room_id):
    """The room if `user` takes part in it, else None."""
    try:
        room_id = int(room_id)
    except (TypeError, ValueError):
        return None
    return ChatRoom.objects.filter(pk=room_id, participants__user=user, is_active=True).first()


def send_message(room, sender, content, client_msg_id=None):
    """Returns (message, created); a repeat of (sender, client_msg_id) returns the first one."""
    if client_msg_id:
        old = Message.objects.filter(sender=sender, client_msg_id=client_msg_id).select_related("sender").first()
        if old is not None:
            return old, False
    with transaction.atomic():
        m = Message.objects.create(room=room, sender=sender, content=content,
                                   timestamp=next_time(Message, "timestamp"), client_msg_id=client_msg_id or None)
        room.updated_at = m.timestamp
        room.save(update_fields=["updated_at"])
        room.participants.exclude(user=sender).update(unread_count=F("unread_count") + 1)
    msg = message_json(m)
    for p in room.participants.all():
        push(user_group(p.user_id), {"type": "chat_message", "room_id": room.id, "message": msg})
        if p.user_id != sender.id:
            push(user_group(p.user_id), {"type": "unread_count", "room_id": room.id, "unread_count": p.unread_count})
    push(room_group(room.id), {"type": "chat_message", "room_id": room.id, "message": msg})
    return m, True


def mark_read(room, user):
    now = timezone.now()
    ChatParticipant.objects.filter(room=room, user=user).update(unread_count=0, last_seen=now)
    room.messages.exclude(sender=user).filter(is_read=False).update(is_read=True)
    push(user_group(user.id), {"type": "unread_count", "room_id": room.id, "unread_count": 0})


def set_typing(room, user, is_typing):
    ChatParticipant.objects.filter(room=room, user=user).update(is_typing=is_typing)
    frame = {"type": "typing", "room_id": room.id, "user": user_ref(user), "is_typing": is_typing}
    for uid in room.participants.exclude(user=user).values_list("user_id", flat=True):
        push(user_group(uid), frame)
    push(room_group(room.id), frame)


def page(room, before=None, limit=PAGE):
    """Up to `limit` messages before message id `before` (newest when None), oldest first,
    and whether older ones remain."""
    qs = room.messages.select_related("sender")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    chunk = list(qs.order_by("-id")[: limit + 1])
    has_more = len(chunk) > limit
    return [message_json(m) for m in reversed(chunk[:limit])], has_more
