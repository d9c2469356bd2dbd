"""The tables of seed 004's "Database Schema" section."""
from django.contrib.auth.models import User
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="ecleaner_profile")
    role = models.CharField(max_length=20)  # customer | cleaner


class CleaningJob(models.Model):
    title = models.CharField(max_length=200)
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jobs_as_client")
    cleaner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="jobs_as_cleaner")
    status = models.CharField(max_length=20, default="scheduled")


class ChatRoom(models.Model):
    name = models.CharField(max_length=200)
    room_type = models.CharField(max_length=20, default="job")  # job | support | general
    job = models.OneToOneField(CleaningJob, null=True, on_delete=models.SET_NULL, related_name="chat_room")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(User, through="ChatParticipant", related_name="chat_rooms")


class ChatParticipant(models.Model):
    room = models.ForeignKey(ChatRoom, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    joined_at = models.DateTimeField()
    last_seen = models.DateTimeField(null=True)
    is_typing = models.BooleanField(default=False)
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("room", "user")]


class Message(models.Model):
    room = models.ForeignKey(ChatRoom, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(User, on_delete=models.CASCADE)
    message_type = models.CharField(max_length=20, default="text")
    content = models.TextField()
    attachment = models.CharField(max_length=300, null=True, blank=True)
    timestamp = models.DateTimeField()
    is_read = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True)
    reply_to = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    client_msg_id = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_msg_id"], name="ecleaner_one_client_msg_id")
        ]
