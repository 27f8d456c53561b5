"""Station tokens: a signed, expiring credential for ``kiemphieu scan watch --token``.

Nothing is stored: the token is the user's id signed with the app's secret key, bound to the
user's current password hash (changing the password revokes every token) and expiring after
``STATION_TOKEN_MAX_AGE`` seconds (default 3 days). It is accepted only on /api/ requests, in
an ``Authorization: Bearer`` header; such requests carry no cookie, so they need no CSRF token.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

SALT = "kiemphieu-station-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _password_tag(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _password_tag(user)})


def user_for(token: str) -> User | None:
    max_age = current_app.config.get("STATION_TOKEN_MAX_AGE", 3 * 24 * 3600)
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("p") != _password_tag(user):
        return None
    return user
