"""What the three Django seeds share: JSON views with Bearer auth, login, ISO times, strictly
increasing creation times, pushes through the channel layer, the three users."""
import datetime as dt
import functools
import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.db.models import Max
from django.http import JsonResponse
from django.utils import timezone
from django.contrib.auth import login as session_login
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from jwt_auth import bearer, make_token, user_id_of

USERS = [(1, "alice", "Alice"), (2, "bob", "Bob"), (3, "carol", "Carol")]
PASSWORD = "password"


class TestPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000


def seed_users():
    for pk, username, first in USERS:
        u = User(pk=pk, username=username, first_name=first, email=f"{username}@example.com")
        u.set_password(PASSWORD)
        u.save()


def iso(t):
    """UTC, millisecond precision, `Z` (as JavaScript's toISOString writes it)."""
    if t is None:
        return None
    t = t.astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ms(t):
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def next_time(model, field):
    """Now, but strictly after every `field` of `model` so far: creation order is time order,
    even for two rows in one millisecond (every DB call runs on Django's one sync thread)."""
    now = ms(timezone.now())
    last = model.objects.aggregate(m=Max(field))["m"]
    if last is not None and now <= last:
        now = ms(last) + dt.timedelta(milliseconds=1)
    return now


def user_ref(u):
    return None if u is None else {"id": u.id, "username": u.username}


def error(status, message):
    return JsonResponse({"error": message, "detail": message}, status=status)


def ok(data, status=200):
    return JsonResponse(data, status=status, safe=False)


def body_of(request):
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def api(methods, auth=True):
    """A JSON endpoint: method check, JSON body parse (400), Bearer token (401) -> request.me."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            if request.method not in methods:
                return error(405, f"method {request.method} not allowed")
            request.me = None
            if auth:
                header = request.headers.get("Authorization")
                uid = user_id_of(bearer(header))
                me = User.objects.filter(pk=uid, is_active=True).first() if isinstance(uid, int) else None
                if me is None and not header and request.user.is_authenticated:
                    # The session cookie: writes need the CSRF token, checked by Django itself.
                    if request.method not in ("GET", "HEAD", "OPTIONS"):
                        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
                        if refused is not None:
                            return error(403, "CSRF verification failed")
                    me = request.user
                if me is None:
                    return error(401, "authentication credentials were not provided or are invalid")
                request.me = me
            request.json = body_of(request) if request.method in ("POST", "PATCH", "PUT") else {}
            if request.json is None:
                return error(400, "the body is not a JSON object")
            return view(request, *args, **kwargs)

        return inner

    return wrap


def login_view(token_key, user_json=user_ref, refresh=False):
    @api(["POST"], auth=False)
    def login(request):
        b = request.json
        user = authenticate(username=b.get("username"), password=b.get("password"))
        if user is None:
            return error(401, "no active account found with the given credentials")
        out = {token_key: make_token(user.id), "user": user_json(user)}
        if refresh:
            out["refresh"] = make_token(user.id, "refresh")
        return ok(out)

    return login


def session_login_view(user_json=user_ref):
    """The cookie sign-in a web frontend uses: CSRF-checked POST, then Django's session login
    (which rotates the CSRF token); the socket then authenticates by the session cookie."""

    @api(["POST"], auth=False)
    def login(request):
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return error(403, "CSRF verification failed")
        b = request.json
        user = authenticate(username=b.get("username"), password=b.get("password"))
        if user is None:
            return error(401, "no active account found with the given credentials")
        session_login(request, user)
        return ok({"user": user_json(user)})

    return login


@ensure_csrf_cookie
def csrf_view(request):
    """GET: sets the `csrftoken` cookie (as a SPA's first request does)."""
    return ok({})


def user_named(name):
    return User.objects.filter(username=name).first()


def int_param(request, name, default, lo=1, hi=500):
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(lo, min(hi, int(raw)))
    except ValueError:
        return None


def push(group, event):
    """Sends one channel-layer event to a group; callable from the sync DB thread."""
    async_to_sync(get_channel_layer().group_send)(group, event)
