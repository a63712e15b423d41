"""One settings module, read from the environment.

With no environment at all Reunify runs embedded: a SQLite file, Celery tasks run eagerly in
process, messages go to the console/file backends, DEBUG off unless asked for. Production sets
DATABASE_URL, CELERY_BROKER_URL and SECRET_KEY (see docker-compose.yml).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DATABASE_URL = env.str("DATABASE_URL", default="")
EMBEDDED = not DATABASE_URL

# A secret has no production default: the development key is only used embedded.
if EMBEDDED:
    SECRET_KEY = env.str("SECRET_KEY", default="embedded-development-only-not-for-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "privacy",
    "alerts",
    "contacts",
    "contacts.portal",
    "reunify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's, the API docs', the portal's htmx) from gunicorn itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if EMBEDDED:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "reunify.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
else:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side prepared statements for the few queries run on a server-binding cursor (the
    # portal's hot queries, contacts/lib/compiled.py; Django's own cursors never prepare). Turn
    # off behind a pooler in transaction mode that cannot carry prepared statements.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
    # Lets parallel test runs on one server keep their own test database.
    if env.str("TEST_DATABASE_NAME", default=""):
        DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# How many reverse proxies in front of gunicorn append to X-Forwarded-For: the per-address limits
# on sign-in then count the browser's address, not the proxy's (contacts/portal/clientip.py).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Staff password sign-in, with a limit on tries (contacts/portal/backends.py).
AUTHENTICATION_BACKENDS = ["contacts.portal.backends.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Django's cookie-then-session storage, each distinct signed cookie computed once per process.
MESSAGE_STORAGE = "contacts.portal.messages.MessageStorage"

LANGUAGE_CODE = "en"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The portal's rendered household pages: per process, keyed by what they show, so never
    # stale (contacts/portal/pagecache.py). Off under DEBUG, where templates change without a
    # restart.
    "portal_pages": {
        "BACKEND": (
            "django.core.cache.backends.dummy.DummyCache"
            if DEBUG
            else "django.core.cache.backends.locmem.LocMemCache"
        ),
        "LOCATION": "portal-pages",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": env.int("PORTAL_PAGE_CACHE_ENTRIES", default=2000)},
    },
}

LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# gunicorn serves static files itself (WhiteNoise), found in the apps when each process starts:
# no collectstatic step and no separate web server to keep in step with a deploy. STATIC_ROOT is
# only for a district that wants to hand the files to its own web server (`collectstatic`).
STATIC_ROOT = env.str("STATIC_ROOT", default="") or None
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# --- Reunify ---------------------------------------------------------------------------------
DISTRICT_NAME = env.str("DISTRICT_NAME", default="Riverside Unified School District")
# Region used to read phone numbers written without a country code.
PHONE_REGION = env.str("PHONE_REGION", default="US")

# Email goes through Django's backend: EMAIL_URL such as smtp+tls://user:pass@relay:587
# (django-environ's syntax). Embedded, alerts print email to the console instead.
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reunify@localhost")
# Delivery timeouts are the alerts engine's (ALERTS_PROVIDER_TIMEOUT); SMTP gets the same bound.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["privacy.permissions.IsStaffMember"],
    "DEFAULT_PARSER_CLASSES": [
        "privacy.parsers.GuardedJSONParser",
        "privacy.parsers.GuardedFormParser",
        "privacy.parsers.GuardedMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reunify API",
    "DESCRIPTION": "Emergency contacts and family reunification for school districts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the package, not a CDN: districts may run Reunify without internet egress.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.paged_lists_refuse_bad_pages",
    ],
    # Several models have a "status"; name each enum after its owner in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ContactPointStatusEnum": "contacts.models.ContactPoint.Status",
        "MessageStatusEnum": "alerts.models.Message.Status",
    },
}

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Embedded: no broker, every task runs in process when it is enqueued (after commit).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Security (production) ---------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Production is served over HTTPS behind a proxy. HTTPS=0 is for tests and benchmarks that
# talk plain HTTP to 127.0.0.1.
HTTPS = env.bool("HTTPS", default=not EMBEDDED and not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the district's whole domain to HTTPS forever: its IT decides, not us.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logging: phone numbers, email addresses and tokens never reach a log line ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "privacy.logredact.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
