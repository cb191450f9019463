from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("warta.api.urls")),
    path("", include("warta.reader.urls")),
    path("", include("warta.site.urls")),
]
