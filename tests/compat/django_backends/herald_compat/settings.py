"""One Django project for the three Django Channels seeds; HERALD_COMPAT_APP picks the app
(seed001, artchive or ecleaner) and HERALD_COMPAT_DATA the folder of its SQLite database."""
import os
from pathlib import Path

APP = os.environ.get("HERALD_COMPAT_APP", "seed001")
DATA = Path(os.environ.get("HERALD_COMPAT_DATA", "."))

SECRET_KEY = "herald-compat-django-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
APPEND_SLASH = False

INSTALLED_APPS = [
    "django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions", "channels", APP,
]
# Sessions + auth for the cookie sign-in (`/api/auth/session/`), as a Django app whose web
# frontend signs in with the session cookie has; the JSON views check CSRF themselves (common.api).
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = f"{APP}.urls"
ASGI_APPLICATION = "herald_compat.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA / "db.sqlite3"),
        # IMMEDIATE: a write transaction takes the lock when it starts, so concurrent writers
        # (a view and a consumer) wait up to `timeout` instead of failing with "database is
        # locked" when a read lock cannot be upgraded; WAL lets readers run beside a writer.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Real password checks, at a cost that suits a test machine.
PASSWORD_HASHERS = ["herald_compat.common.TestPBKDF2PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("HERALD_COMPAT_LOG", "WARNING")},
}
