"""The chrome every public page shares (the style sheet, icon and feed links in
``<head>``, the masthead with its navigation, the footer): rendered once per process for
each thing it shows, not on every page.

It is a tenth of a page's CPU (a dozen ``{% url %}`` and ``{% translate %}`` tags, two
``{% static %}``, the navigation loop) and the same on almost every page. A fragment is
rendered from a context of its own holding only what its key holds: the site's name and
tagline, the navigation's categories (slug and name), the current section, whether the
page is the home page, the active language, the script prefix and the URLconf (its
links), the static files' URL and manifest (the style sheet's hashed name). So a
memoised fragment is what rendering it again would give, whatever else the page's
context has; a template reloaded in development is a new key. Thread-safe (dict
operations only); at most :data:`MEMO_SIZE` entries, then the memo starts over.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import Context
from django.template.loader import get_template
from django.urls import get_resolver, get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

MEMO_SIZE = 1000
_memo: dict[tuple[Any, ...], SafeString] = {}
_SETTING = "warta.chrome"  # the page's language, script prefix and URLconf, once per render


def chrome_html(context: Context, name: str) -> SafeString:
    """The fragment template ``name`` for the page being rendered with ``context``
    (``{% site_chrome "site/_masthead.html" %}``)."""
    setting = context.render_context.get(_SETTING)
    if setting is None:
        setting = (
            get_language(),
            get_script_prefix(),
            get_resolver(get_urlconf()),
            settings.STATIC_URL,
            getattr(staticfiles_storage, "manifest_hash", ""),  # new after a collectstatic
        )
        context.render_context[_SETTING] = setting
    match = getattr(context.get("request"), "resolver_match", None)
    nav = list(context.get("nav_categories") or [])
    values = {
        "site_name": context.get("site_name"),
        "site_tagline": context.get("site_tagline"),
        "nav_categories": nav,
        "current_category": context.get("current_category"),
        "is_home": getattr(match, "url_name", None) == "home",
    }
    template = get_template(name).template
    key = (
        template,
        setting,
        values["site_name"],
        values["site_tagline"],
        tuple((cat.slug, cat.name) for cat in nav),
        values["current_category"],
        values["is_home"],
    )
    try:
        html = _memo.get(key)
    except TypeError:  # an unhashable value: rendered every time
        return mark_safe(template.render(Context(values, autoescape=context.autoescape)))
    if html is None:
        html = mark_safe(template.render(Context(values, autoescape=context.autoescape)))
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = html
    return html


def clear() -> None:
    """Forget every rendered fragment (tests; the key covers what changes)."""
    _memo.clear()
