"""WSGI entry point: ``gunicorn warta.wsgi`` or the built-in waitress server (``warta serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warta.settings")
application = get_wsgi_application()
