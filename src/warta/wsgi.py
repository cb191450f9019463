"""WSGI entry point: ``gunicorn warta.wsgi`` or the built-in servers (``warta serve``).

Django's application behind the fast lane (``warta.site.fastlane``), which answers
repeated requests for cached pages without entering Django."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warta.settings")
django_application = get_wsgi_application()

from warta.site.fastlane import FastLane  # noqa: E402  (needs the settings set up above)

application = FastLane(django_application)
