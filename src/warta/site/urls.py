"""Public URLs (Indonesian paths). Names are used by models' get_absolute_url and the CLI."""

from django.urls import path

from warta.site import feeds, views

urlpatterns = [
    path("", views.home, name="home"),
    path("berita/<slug:slug>/", views.article, name="article"),
    path("kategori/<slug:slug>/", views.category, name="category"),
    path("rss.xml", feeds.LatestPostsFeed(), name="feed"),
    path("berlangganan/", views.subscribe, name="subscribe"),
]
