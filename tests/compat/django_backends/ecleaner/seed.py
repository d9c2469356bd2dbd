"""Seed 004's starting data: job rooms 5 (alice+bob, 60 messages, alice has 2 unread),
12 (alice+carol, 3 messages) and 20 (bob+carol, 1 message)."""
import datetime as dt

from django.utils import timezone

from herald_compat.common import ms, seed_users, user_named

from .models import ChatParticipant, ChatRoom, CleaningJob, Message, Profile


def seed():
    seed_users()
    alice, bob, carol = (user_named(n) for n in ("alice", "bob", "carol"))
    for u, role in ((alice, "customer"), (bob, "cleaner"), (carol, "cleaner")):
        Profile.objects.create(user=u, role=role)
    t0 = ms(timezone.now()) - dt.timedelta(days=1)

    def room(pk, title, client, cleaner, lines, unread, last_minute):
        """`lines` are (sender, text); they end at t0 + last_minute, one minute apart."""
        job = CleaningJob.objects.create(pk=pk, title=title, client=client, cleaner=cleaner)
        r = ChatRoom.objects.create(pk=pk, name=f"Job #{pk} \u2013 {title}", room_type="job", job=job,
                                    created_at=t0, updated_at=t0)
        for u in (client, cleaner):
            ChatParticipant.objects.create(room=r, user=u, joined_at=t0, unread_count=unread.get(u.username, 0))
        first = last_minute - len(lines) + 1
        unread_left = dict(unread)
        made = []
        for i, (sender, text) in enumerate(lines):
            made.append(Message(room=r, sender=sender, content=text, is_read=True,
                                timestamp=t0 + dt.timedelta(minutes=first + i)))
        # The newest messages from the other side are the unread ones.
        for m in reversed(made):
            other = client if m.sender == cleaner else cleaner
            if unread_left.get(other.username, 0) > 0:
                m.is_read = False
                unread_left[other.username] -= 1
        Message.objects.bulk_create(made)
        r.updated_at = made[-1].timestamp
        r.save()

    deep = [(alice if i % 2 == 0 else bob, f"Job 5 message {i + 1}") for i in range(60)]
    room(5, "Deep clean", alice, bob, deep, {"alice": 2}, last_minute=600)
    room(12, "Window cleaning", alice, carol, [
        (carol, "Hi Alice, I can do the windows on Tuesday."),
        (alice, "Tuesday works, thanks."),
        (carol, "See you at 9."),
    ], {}, last_minute=300)
    room(20, "Office handover", bob, carol, [(bob, "Keys are with reception.")], {"carol": 1}, last_minute=100)
