"""HTTP defences every response gets: security headers, no caching of private pages, and
cookie settings (remember-me lasts one congress season at most).

The pages use no inline scripts, styles or ``style`` attributes (everything is in
``kiemphieu/static``), so the policy allows only this site's own files. PDFs are left without
a CSP: some browsers' built-in PDF viewers refuse to draw under one, and a PDF runs no script
of ours.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # data: the QR code of the minutes shown on /verify (an image runs nothing)
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

COOKIE_SETTINGS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A congress season, not Flask-Login's default year.
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    # Logging out ends the session on the server side too (User.session_token).
    "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
}


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype != "application/pdf":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # Everything but the public static files is private (ballots, names, previews, minutes):
    # never kept in a browser or proxy cache, never shown again by the back button after logout.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers["Pragma"] = "no-cache"
    return response


def init_security(app: Flask) -> None:
    for key, value in COOKIE_SETTINGS.items():
        app.config.setdefault(key, value)
    app.after_request(add_security_headers)
