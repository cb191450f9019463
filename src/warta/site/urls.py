"""Public URLs (Indonesian paths). Names are used by models' get_absolute_url and the CLI."""

from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from warta.site import feeds, lists, search_page, sitemaps, views

urlpatterns = [
    path("", views.home, name="home"),
    # crawlers and feed readers ask for /favicon.ico whatever the page's <link rel="icon">
    path("favicon.ico", RedirectView.as_view(url=static("site/favicon.svg"), permanent=True)),
    path("berita/<slug:slug>/", views.article, name="article"),
    path("kategori/<slug:slug>/", views.category, name="category"),
    path("rss.xml", feeds.PostsFeed(), name="feed"),
    path("atom.xml", feeds.AtomPostsFeed(), name="feed-atom"),
    path("feed.json", feeds.JsonPostsFeed(), name="feed-json"),
    path("kategori/<slug:slug>/rss.xml", feeds.PostsFeed(), name="category-feed"),
    path("kategori/<slug:slug>/atom.xml", feeds.AtomPostsFeed(), name="category-feed-atom"),
    path("kategori/<slug:slug>/feed.json", feeds.JsonPostsFeed(), name="category-feed-json"),
    path("tag/<slug:slug>/", lists.tag, name="tag"),
    path("tag/<slug:slug>/rss.xml", feeds.PostsFeed(), {"kind": "tag"}, name="tag-feed"),
    path("tag/<slug:slug>/atom.xml", feeds.AtomPostsFeed(), {"kind": "tag"},
         name="tag-feed-atom"),
    path("tag/<slug:slug>/feed.json", feeds.JsonPostsFeed(), {"kind": "tag"},
         name="tag-feed-json"),
    path("sumber/<int:pk>/", lists.source, name="source"),
    path("penulis/<slug:slug>/", lists.author, name="author"),
    re_path(r"^(?P<year>[0-9]{4})/$", lists.archive, name="archive-year"),
    re_path(r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$", lists.archive, name="archive-month"),
    re_path(r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/$", lists.archive,
            name="archive-day"),
    path("cari/", search_page.search, name="search"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap-index"),
    path("sitemap-news.xml", sitemaps.news_sitemap, name="sitemap-news"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
    path("berlangganan/", views.subscribe, name="subscribe"),
]
