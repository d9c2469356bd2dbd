"""Seed 001's starting data: conv_1 "Support: Acme" (alice, bob; 3 messages, alice has 1
unread) and conv_2 (alice, carol; 1 message). No notifications."""
import datetime as dt

from django.utils import timezone

from herald_compat.common import ms, seed_users, user_named

from .models import Conversation, Message, Participant


def seed():
    seed_users()
    alice, bob, carol = (user_named(n) for n in ("alice", "bob", "carol"))
    t0 = ms(timezone.now()) - dt.timedelta(hours=3)

    def conv(pk, title, members, lines, unread):
        c = Conversation.objects.create(pk=pk, title=title, created_at=t0, updated_at=t0)
        for u in members:
            Participant.objects.create(conversation=c, user=u, unread_count=unread.get(u.username, 0))
        for minutes, sender, text in lines:
            m = Message.objects.create(conversation=c, sender=sender, text=text,
                                       timestamp=t0 + dt.timedelta(minutes=minutes))
            c.updated_at = m.timestamp
        c.save()

    conv(1, "Support: Acme", [alice, bob], [
        (10, alice, "Hi Bob, the Acme order is late."),
        (12, bob, "Checking with the warehouse now."),
        (30, bob, "It leaves today."),
    ], {"alice": 1})
    conv(2, "Support: Globex", [alice, carol], [(5, carol, "Are we still on for Friday?")], {})
