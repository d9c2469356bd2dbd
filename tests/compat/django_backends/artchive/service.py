"""Artchive's rules: notifications go to group `notifications_<id>`, friend-request updates to
`friend_requests_<id>`; the unified RealtimeConsumer joins both (seed 003), the legacy
FriendRequestConsumer only the second. Every change is saved before it is pushed."""
from django.db.models import Q

from herald_compat.common import iso, next_time, push, user_ref

from .models import FriendRequest, Notification


def notifications_group(user_id):
    return f"notifications_{user_id}"


def friend_requests_group(user_id):
    return f"friend_requests_{user_id}"


def notification_json(n):
    return {
        "id": n.id,
        "notification_type": n.notification_type,
        "message": n.message,
        "is_read": n.is_read,
        "created_at": iso(n.created_at),
        "sender": user_ref(n.sender),
        "link": n.link or None,
    }


def friend_request_json(r):
    return {
        "id": r.id,
        "from_user": user_ref(r.from_user),
        "to_user": user_ref(r.to_user),
        "status": r.status,
        "created_at": iso(r.created_at),
    }


def unread_count(user):
    return Notification.objects.filter(recipient=user, is_read=False).count()


def notify(recipient, notification_type, message, sender=None, link=None):
    n = Notification.objects.create(
        recipient=recipient, sender=sender, notification_type=notification_type, message=message,
        link=link, created_at=next_time(Notification, "created_at"),
    )
    push(notifications_group(recipient.id), {"type": "notification_message", "notification": notification_json(n)})
    return n


def push_request(r, action):
    frame = {"type": "friend_request_update", "action": action, "friend_request": friend_request_json(r)}
    for uid in (r.from_user_id, r.to_user_id):
        push(friend_requests_group(uid), frame)


def send_friend_request(from_user, to_user):
    r = FriendRequest.objects.create(from_user=from_user, to_user=to_user,
                                     created_at=next_time(FriendRequest, "created_at"))
    push_request(r, "created")
    notify(to_user, "Friend Request", f"{from_user.username} sent you a friend request", sender=from_user)
    return r


def answer_friend_request(r, accept):
    """pending -> accepted/declined; pushes the update to both, and tells the sender on accept.
    Answering again the same way changes nothing; the other way is a conflict (None)."""
    status = "accepted" if accept else "declined"
    if r.status == status:
        return r
    if r.status != "pending":
        return None
    r.status = status
    r.save(update_fields=["status"])
    push_request(r, status)
    if accept:
        notify(r.from_user, "Friend Request Accepted",
               f"{r.to_user.username} accepted your friend request", sender=r.to_user)
    return r


def requests_of(user):
    return FriendRequest.objects.filter(Q(from_user=user) | Q(to_user=user)).select_related("from_user", "to_user")


def mark_read(user, notification_id):
    """Returns the new unread count, or None when the notification is not the user's."""
    n = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if n is None:
        return None
    if not n.is_read:
        n.is_read = True
        n.save(update_fields=["is_read"])
    return unread_count(user)


def mark_all_read(user):
    Notification.objects.filter(recipient=user, is_read=False).update(is_read=True)
