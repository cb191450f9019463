"""Django settings, built from warta's config (warta.toml + WARTA_* environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from warta.config import load_config
from warta.site.cache import cache_settings as _page_cache_settings

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
    "axes",
    "django_otp",  # optional TOTP two-factor for the admin (docs/newsroom.md)
    "django_otp.plugins.otp_totp",
    "warta.newsroom",
    "warta.site",
    "warta.reader",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # rendered-page cache, 304s and Cache-Control (docs/site.md "Caching"): after WhiteNoise,
    # before sessions and CSRF, so a cached page costs neither
    "warta.site.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() for two-factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "warta.site.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# ---- accounts and security (docs/newsroom.md) ----
# Argon2 first: new and changed passwords use it; older hashes still verify and are
# upgraded on the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the others
    "django.contrib.auth.backends.ModelBackend",
]
# login throttling: 5 failures for one user name from one address lock that pair out for
# an hour (locking the user name alone would let anyone lock the editors out)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

HTTPS = WARTA["https"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS and not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # TLS ends at the proxy in front of warta (waitress speaks plain HTTP)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# HSTS preload is a submission to the browsers' lists the publisher makes by hand
SILENCED_SYSTEM_CHECKS = ["security.W021"]

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


def database_settings(cfg: Any) -> dict[str, object]:
    """Django's ``DATABASES["default"]`` from warta's config (``database_url`` and
    ``database.*``): SQLite in WAL mode; PostgreSQL with persistent, health-checked
    connections, or a psycopg connection pool per process when ``database.pool`` is on."""
    db: dict[str, Any] = dict(dj_database_url.parse(cfg["database_url"]))
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
        return db
    options: dict[str, Any] = {"connect_timeout": cfg["database.connect_timeout"]}
    if cfg["database.pool"]:
        # Django's pool replaces persistent connections: CONN_MAX_AGE must be 0.
        options["pool"] = {"min_size": cfg["database.pool_min_size"],
                           "max_size": cfg["database.pool_max_size"],
                           "timeout": cfg["database.pool_timeout"]}
        db["CONN_MAX_AGE"] = 0
    else:
        db["CONN_MAX_AGE"] = cfg["database.conn_max_age"]
        db["CONN_HEALTH_CHECKS"] = True
    db["OPTIONS"] = options
    return db


DATABASES = {"default": database_settings(WARTA)}
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
    # hashed, compressed (gzip + Brotli) copies made by `collectstatic` (`warta init` and
    # `warta serve` run it), served with far-future caching; without them (a bare checkout,
    # tests) URLs fall back to the plain names, still served through the finders
    "staticfiles": {"BACKEND": "warta.site.staticfiles.WartaStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# ---- mail (newsletter; docs/config.md [email]) ----
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = WARTA["email.host"]
EMAIL_PORT = WARTA["email.port"]
EMAIL_HOST_USER = WARTA["email.user"]
EMAIL_HOST_PASSWORD = WARTA["email.password"]
EMAIL_USE_TLS = WARTA["email.tls"]
EMAIL_TIMEOUT = WARTA["email.timeout"]
DEFAULT_FROM_EMAIL = WARTA["email.from"]

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # the public site's rendered pages and their dependency versions (warta/site/cache.py)
    **_page_cache_settings(WARTA["site.cache_url"], DATA_DIR, WARTA["site.cache_entries"]),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"warta": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
