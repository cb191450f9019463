"""Newsletter pages: subscribe, confirm, preferences, unsubscribe.

The subscribe POST answers the same "check your inbox" page whatever the address (new,
pending, subscribed, unsubscribed): nobody learns from it who reads the site. It is limited
to ``newsletter.subscribe_limit`` requests an hour per client address (429 beyond).

Confirming is a POST from the page the link opens, so a mail scanner that follows links
cannot subscribe anyone. Unsubscribing is a POST too, and the one view exempt from CSRF:
RFC 8058 mail clients POST ``List-Unsubscribe=One-Click`` to the link from the mail's
header, with no cookie and no token; the signed link is the authorisation.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from warta.newsroom.models import Category
from warta.reader import subscriptions
from warta.reader.forms import PreferencesForm, SubscribeForm
from warta.reader.tokens import TokenError, make_token, read_token
from warta.site.views import base_url, nav_categories


def _context(**extra: Any) -> dict[str, Any]:
    return {"nav_categories": nav_categories(), "base_url": base_url(), **extra}


def _link_error(request: HttpRequest, error: TokenError) -> HttpResponse:
    status = 410 if error.reason == "expired" else 400
    return render(request, "reader/link_error.html", _context(reason=error.reason),
                  status=status)


def _selected(form: Any) -> list[str]:
    """The chosen category ids as strings, from a bound or an initial form."""
    return [str(getattr(v, "pk", v)) for v in (form["categories"].value() or [])]


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be. Behind a
    # proxy, have the proxy set REMOTE_ADDR (waitress: trusted_proxy).
    return str(request.META.get("REMOTE_ADDR") or "")


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return HttpResponseRedirect(reverse("subscribe"))
    if not subscriptions.allow("ip", _client_ip(request)):
        return render(request, "reader/too_many.html", _context(), status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "reader/subscribe.html",
                      _context(form=form, subscribe_categories=Category.objects.all(),
                               selected=_selected(form)),
                      status=400)
    data = form.cleaned_data
    subscriptions.request_subscription(data["email"], data["name"], data["frequency"],
                                       data["categories"])
    return render(request, "reader/check_inbox.html", _context())


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = read_token(token, "confirm")
    except TokenError as e:
        return _link_error(request, e)
    if request.method == "GET":
        return render(request, "reader/confirm.html", _context(subscriber=subscriber))
    subscriptions.confirm(subscriber)
    return HttpResponseRedirect(
        reverse("reader:preferences", kwargs={"token": make_token(subscriber, "preferences")})
        + "?confirmed=1")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = read_token(token, "preferences")
    except TokenError as e:
        return _link_error(request, e)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            subscriptions.update_preferences(subscriber, data["name"], data["frequency"],
                                             data["categories"])
            saved = True
    else:
        form = PreferencesForm(initial={
            "name": subscriber.name, "frequency": subscriber.frequency,
            "categories": list(subscriber.categories.all())})
    return render(request, "reader/preferences.html", _context(
        form=form, subscriber=subscriber, saved=saved, selected=_selected(form),
        categories=Category.objects.all(),
        confirmed=request.GET.get("confirmed") == "1",
        unsubscribe_url=reverse("reader:unsubscribe",
                                kwargs={"token": make_token(subscriber, "unsubscribe")})),
        status=200 if not form.is_bound or form.is_valid() else 400)


@csrf_exempt  # RFC 8058: the mail client's POST carries no CSRF token; the link signs it
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = read_token(token, "unsubscribe")
    except TokenError as e:
        return _link_error(request, e)
    if request.method == "GET":  # a link scanner's GET changes nothing
        return render(request, "reader/unsubscribe.html",
                      _context(subscriber=subscriber, done=False))
    subscriptions.unsubscribe(subscriber)
    return render(request, "reader/unsubscribe.html", _context(subscriber=subscriber, done=True))


