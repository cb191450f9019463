"""How stages run: in-process threads (``inline``, the default) or Celery workers on a broker
(``celery``: ``warta worker``/``warta beat``). Both call the same stage functions in
``warta.newsroom.stages``."""
