"""Django settings, built from warta's config (warta.toml + WARTA_* environment)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from warta.config import load_config

WARTA = load_config()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = WARTA.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = WARTA["secret_key"]
DEBUG = WARTA["debug"]
ALLOWED_HOSTS = [h.strip() for h in WARTA["allowed_hosts"].split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "warta.newsroom",
    "warta.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "warta.urls"
WSGI_APPLICATION = "warta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "warta.site.context.site",
            ],
        },
    }
]


def _databases() -> dict[str, dict[str, object]]:
    url = WARTA["database_url"]
    db = dj_database_url.parse(url, conn_max_age=60)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the site read while workers write; IMMEDIATE avoids lock upgrades
        # (SQLITE_BUSY mid-transaction) when several threads write.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        db["CONN_MAX_AGE"] = 0
        Path(str(db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    else:
        db["CONN_HEALTH_CHECKS"] = True
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = WARTA["site.language"]
# One site, one language (the configured one): readers' Accept-Language must not switch the
# UI of an Indonesian site to English, so there is no LocaleMiddleware.
LANGUAGES = [(LANGUAGE_CODE, LANGUAGE_CODE)]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = WARTA["site.timezone"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from here after `collectstatic`
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"warta": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
