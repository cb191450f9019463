"""Read API URLs, included under /api/ by the project's urls."""

from django.urls import path, re_path

from warta.api import views

app_name = "api"

urlpatterns = [
    path("schema/", views.schema, name="schema"),
    path("stories/", views.stories, name="stories"),
    # any text up to the last slash reaches the view, which answers JSON (404) for a slug
    # that cannot exist rather than the site's HTML 404 page
    re_path(r"^stories/(?P<slug>(?s:.+))/$", views.story, name="story"),
    path("categories/", views.categories, name="categories"),
    path("sources/", views.sources, name="sources"),
    re_path(r"^(?P<rest>(?s:.*/)?)$", views.not_found),
]
