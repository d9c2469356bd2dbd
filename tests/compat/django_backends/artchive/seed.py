"""Seed 003's starting data for alice: notification 1 "Comment" (unread), 2 "Like" (read);
friend request 1 from bob (pending) with its "Friend Request" notification 3 (unread)."""
import datetime as dt

from django.utils import timezone

from herald_compat.common import ms, seed_users, user_named

from .models import FriendRequest, Notification


def seed():
    seed_users()
    alice, bob, carol = (user_named(n) for n in ("alice", "bob", "carol"))
    t0 = ms(timezone.now()) - dt.timedelta(hours=3)
    at = lambda minutes: t0 + dt.timedelta(minutes=minutes)  # noqa: E731
    Notification.objects.create(pk=1, recipient=alice, sender=bob, notification_type="Comment",
                                message="bob commented on Sunset", link="/artworks/7", created_at=at(10))
    Notification.objects.create(pk=2, recipient=alice, sender=carol, notification_type="Like",
                                message="carol liked Sunset", link="/artworks/7", is_read=True, created_at=at(20))
    FriendRequest.objects.create(pk=1, from_user=bob, to_user=alice, created_at=at(30))
    Notification.objects.create(pk=3, recipient=alice, sender=bob, notification_type="Friend Request",
                                message="bob sent you a friend request", created_at=at(30))
