"""``{% load seo %}{% article_head post %}``: canonical link, Open Graph, Twitter card and
NewsArticle JSON-LD for an article page's ``<head>`` (see warta.site.seo)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from warta.newsroom.models import Post
from warta.site.seo import article_head_html

register = template.Library()


@register.simple_tag
def article_head(post: Post) -> SafeString:
    return article_head_html(post)
