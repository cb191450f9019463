"""Memoised URL reversing: ``reverse("article", kwargs={"slug": s})`` computed once per
process for each name and arguments, and ``{% load warta %}{% url … %}`` through it.

Django's ``reverse`` walks the resolver's tables on every call (~25 of them per page:
navigation, feed links, breadcrumbs, canonical links), a tenth of a build's CPU. Its result
depends only on the name and arguments, the URLconf, the script prefix (``SCRIPT_NAME``,
set per request) and, when a route is translated, the active language: the memo is keyed
by all of them, so a request under another prefix, an overridden ``ROOT_URLCONF`` (a new
resolver) or another language never sees another's URL. Only names without a namespace
and arguments that are plain ``str``/``int`` are memoised; anything else goes straight to
Django. Thread-safe (dict operations only); at most :data:`MEMO_SIZE` entries, then the
memo starts over.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url_tag
from django.urls import (
    LocalePrefixPattern,
    NoReverseMatch,
    URLResolver,
    get_resolver,
    get_script_prefix,
    get_urlconf,
)
from django.urls import reverse as django_reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.translation import get_language

MEMO_SIZE = 50_000  # an article URL is ~60 bytes: a few MB at most
_memo: dict[tuple[Any, ...], str] = {}
_translated: dict[URLResolver, bool] = {}


def _plain(values: Any) -> bool:
    return all(type(v) in (str, int) for v in values)


def reverse(
    viewname: str,
    args: list[Any] | tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> str:
    """``django.urls.reverse(viewname, args=args, kwargs=kwargs)``, memoised (see the
    module's docstring). Raises ``NoReverseMatch`` as Django does (failures are not
    memoised)."""
    args = args or ()
    kwargs = kwargs or {}
    if not isinstance(viewname, str) or ":" in viewname or not _plain(args) \
            or not _plain(kwargs.values()):
        return str(django_reverse(viewname, args=args, kwargs=kwargs))
    resolver = get_resolver(get_urlconf())
    key = (
        resolver,
        get_script_prefix(),
        get_language() if _translated_routes(resolver) else None,
        viewname,
        tuple(args),
        tuple(sorted(kwargs.items())),
    )
    url = _memo.get(key)
    if url is None:
        url = str(django_reverse(viewname, args=args, kwargs=kwargs))
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = url
    return url


def _translated_routes(resolver: URLResolver) -> bool:
    """Whether a route of ``resolver``'s URLconf depends on the active language
    (``i18n_patterns`` or a lazily translated route): only then is the language part of
    the key (looking it up costs as much as the memo saves). Once per resolver."""
    known = _translated.get(resolver)
    if known is None:
        known = _translated[resolver] = _any_translated([resolver])
    return known


def _any_translated(patterns: list[Any]) -> bool:
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, LocalePrefixPattern):
            return True
        for attr in ("_route", "_regex"):
            if isinstance(getattr(pattern, attr, None), Promise):
                return True
        if isinstance(entry, URLResolver) and _any_translated(entry.url_patterns):
            return True
    return False


def clear() -> None:
    """Forget every memoised URL (tests; nothing else needs it: the key covers what
    changes)."""
    _memo.clear()
    _translated.clear()


class MemoURLNode(URLNode):  # type: ignore[misc]
    """Django's ``{% url %}``, reversing through :func:`reverse` when no application
    namespace is in play (a request's ``current_app`` or its match's namespace)."""

    def render(self, context: template.Context) -> str:
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        if current_app:
            return str(super().render(context))
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        try:
            url = reverse(self.view_name.resolve(context), args=args, kwargs=kwargs)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


def url_tag(parser: template.base.Parser, token: template.base.Token) -> MemoURLNode:
    """``{% url %}`` with Django's syntax (``… as var`` included), memoised."""
    node = django_url_tag(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def post_url(post: Any) -> str:
    """``post.get_absolute_url()`` (``/berita/<slug>/``), memoised."""
    return reverse("article", kwargs={"slug": post.slug})


def category_url(category: Any) -> str:
    """``category.get_absolute_url()`` (``/kategori/<slug>/``), memoised."""
    return reverse("category", kwargs={"slug": category.slug})
