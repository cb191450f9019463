from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "warta.site"
    label = "site_public"
    verbose_name = "Public site"

    def ready(self) -> None:
        from warta.site.search import connect_signals

        connect_signals()
