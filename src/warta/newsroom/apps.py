from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "warta.newsroom"
    label = "newsroom"
    verbose_name = "Newsroom"
