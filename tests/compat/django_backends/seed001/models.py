from django.contrib.auth.models import User
from django.db import models


class Conversation(models.Model):
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Participant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("conversation", "user")]


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(User, on_delete=models.CASCADE)
    text = models.TextField()
    timestamp = models.DateTimeField()
    client_msg_id = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_msg_id"], name="seed001_one_client_msg_id")
        ]


class Notification(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="seed001_notifications")
    type = models.CharField(max_length=40)  # new_conversation | system_alert
    title = models.CharField(max_length=200)
    content = models.TextField()
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL)
    timestamp = models.DateTimeField()
    read = models.BooleanField(default=False)
