from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "warta.site"
    label = "site_public"
    verbose_name = "Public site"
