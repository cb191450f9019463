from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "warta.site"
    label = "site_public"
    verbose_name = "Public site"

    def ready(self) -> None:
        from warta.site.search import connect_signals

        connect_signals()
        from warta.site.tags import connect_signals as connect_tag_signals

        connect_tag_signals()
        from warta.site.cache import connect_signals as connect_cache_signals

        connect_cache_signals()
