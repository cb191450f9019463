"""How stages run: in-process threads (default) or, later, Celery workers on a broker.
Both call the same stage functions in ``warta.newsroom.stages``."""
