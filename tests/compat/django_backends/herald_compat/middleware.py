"""`?token=<jwt>` on a WebSocket URL sets scope["user"] (AnonymousUser when bad); without a
token the session's user (channels' AuthMiddlewareStack, outside this one) stands."""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser, User

from jwt_auth import user_id_of


@database_sync_to_async
def user_for(token):
    uid = user_id_of(token)
    if not isinstance(uid, int):
        return AnonymousUser()
    return User.objects.filter(pk=uid, is_active=True).first() or AnonymousUser()


class QueryTokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin1"))
        scope["query"] = {k: v[0] for k, v in query.items()}
        if "token" in scope["query"] or "user" not in scope:
            scope["user"] = await user_for(scope["query"].get("token"))
        return await super().__call__(scope, receive, send)
