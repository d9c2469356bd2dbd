from django.contrib.auth.models import User
from django.db import models


class Notification(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="artchive_notifications")
    sender = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notification_type = models.CharField(max_length=50)  # "Friend Request", "Comment", "Like", ...
    message = models.TextField()
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    link = models.CharField(max_length=300, null=True, blank=True)


class FriendRequest(models.Model):
    STATUSES = ("pending", "accepted", "declined")
    from_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sent_friend_requests")
    to_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="received_friend_requests")
    status = models.CharField(max_length=10, default="pending")
    created_at = models.DateTimeField()
