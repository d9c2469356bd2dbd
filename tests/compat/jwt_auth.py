"""JWT HS256 tokens shared by every compat backend: claim `user_id` (an int for the Django
backends, "u1"-style for Ventree), signed with one test secret."""
import datetime as dt

import jwt

SECRET = "herald-compat-secret"
ALGORITHM = "HS256"
LIFETIME = dt.timedelta(days=30)


def make_token(user_id, token_type="access"):
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"user_id": user_id, "token_type": token_type, "iat": now, "exp": now + LIFETIME}
    return jwt.encode(claims, SECRET, algorithm=ALGORITHM)


def user_id_of(token, token_type="access"):
    """The token's `user_id`, or None for a missing, forged, expired or wrong-type token."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        return None
    if claims.get("token_type", "access") != token_type:
        return None
    return claims.get("user_id")


def bearer(header_value):
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    if not header_value:
        return None
    scheme, _, token = header_value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
