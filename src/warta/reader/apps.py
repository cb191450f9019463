from django.apps import AppConfig


class ReaderConfig(AppConfig):
    name = "warta.reader"
    label = "reader"
    verbose_name = "Readers and newsletter"

    def ready(self) -> None:
        from warta.reader import push

        push.connect()  # WebSub pings and instant alerts when a story changes
