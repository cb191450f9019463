"""Newsletter URLs under /berlangganan/ (the subscribe page itself is the site's)."""

from django.urls import path

from warta.reader import views

app_name = "reader"

urlpatterns = [
    path("berlangganan/daftar/", views.subscribe, name="subscribe"),
    path("berlangganan/konfirmasi/<str:token>/", views.confirm, name="confirm"),
    path("berlangganan/preferensi/<str:token>/", views.preferences, name="preferences"),
    path("berlangganan/berhenti/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
