"""A Content-Security-Policy on the public pages.

The site's templates carry no inline script or style (``style=`` attributes included) and
load their one stylesheet from ``/static/``, so the policy needs no ``'unsafe-inline'``:
an injected ``<script>`` or ``onerror=`` in a feed's text would not run even if it got past
the sanitiser. JSON-LD (``<script type="application/ld+json">``) is a data block the browser
never executes, so ``script-src`` does not apply to it. Article images come from the
sources' own hosts, hence ``img-src`` open to http(s).

The admin (``/admin/``) is left to Django's own headers: its pages are not ours to vouch for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: http: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
EXEMPT_PREFIXES = ("/admin/",)


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy`` to every response outside ``/admin/`` that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(EXEMPT_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
