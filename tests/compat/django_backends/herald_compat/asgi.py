"""HTTP goes to Django; WebSockets through channels' origin check, its session AuthMiddlewareStack
(the cookie sign-in) and the query-string token middleware to the chosen app's routes."""
import importlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "herald_compat.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_http = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from herald_compat.middleware import QueryTokenAuthMiddleware  # noqa: E402

routing = importlib.import_module(f"{settings.APP}.routing")

application = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(QueryTokenAuthMiddleware(URLRouter(routing.websocket_urlpatterns)))
        ),
    }
)
