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
    "contacts.campaigns",
    "reunify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below) on every response.
    "csp.middleware.CSPMiddleware",
    # Static files (the admin's, the API docs', the portal's htmx) from gunicorn itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A query string under the API naming what the district does not collect is a 400.
    "config.api.ForbiddenQueryKeysMiddleware",
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
        # The staff shell's templates (staff/base.html), shared by every app's staff pages.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "libraries": {"staff": "config.staff_tags"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The engines DATABASE_URL may name (django-environ's schemes), each given only the options its
# driver takes (sqlite3 refuses any keyword it does not know).
DATABASE_ENGINES = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgsql": "postgresql",
    "sqlite": "sqlite3",
}


def _database_from_url(url: str) -> dict:
    """DATABASES["default"] for DATABASE_URL. A URL that names no supported engine or no database
    stops the process with one line naming the variable (never echoing the URL, which may hold a
    password)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    engine = DATABASE_ENGINES.get(scheme)
    if engine is None:
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise SystemExit(
            f"DATABASE_URL: {shown} is not a supported database; use "
            "postgres://user:password@host:5432/name or sqlite:///path/to/file.sqlite3"
        )
    config = environ.Env.db_url_config(url)
    if not config.get("NAME"):
        raise SystemExit(f"DATABASE_URL: the {scheme} URL names no database.")
    if engine == "sqlite3":
        config["OPTIONS"] = {"timeout": 20}
    else:
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
        # The SQL text and its parameters travel apart, so psycopg prepares a statement after its
        # fifth run on a connection and PostgreSQL plans it once for the connection's life. A
        # pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21,
        # or without max_prepared_statements) needs DATABASE_PREPARED_STATEMENTS=0.
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    # Lets parallel test runs on one server keep their own test database.
    if env.str("TEST_DATABASE_NAME", default=""):
        config["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
    return config


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
    DATABASES = {"default": _database_from_url(DATABASE_URL)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# How many reverse proxies in front of gunicorn append to X-Forwarded-For: the per-address limits
# on sign-in then count the browser's address, not the proxy's (contacts/portal/clientip.py).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Staff password sign-in, with a limit on tries (contacts/portal/backends.py).
AUTHENTICATION_BACKENDS = ["contacts.portal.backends.ThrottledModelBackend"]
# After sign-in each staff member goes to their role's start page (config/staffpages.py).
LOGIN_URL = "portal:staff_login"
LOGIN_REDIRECT_URL = "staff_home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "config" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# gunicorn serves static files itself (WhiteNoise), found in the apps when each process starts:
# no collectstatic step and no separate web server to keep in step with a deploy. STATIC_ROOT is
# only for a district that wants to hand the files to its own web server (`collectstatic`).
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the staff shell's stylesheet
STATIC_ROOT = env.str("STATIC_ROOT", default="") or None
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# --- Reunify ---------------------------------------------------------------------------------
DISTRICT_NAME = env.str("DISTRICT_NAME", default="Riverside Unified School District")
# Region used to read phone numbers written without a country code.
PHONE_REGION = env.str("PHONE_REGION", default="US")

# Email goes through Django's backend: EMAIL_URL such as smtp+tls://user:pass@relay:587
# (django-environ's syntax). Embedded, alerts print email to the console instead; outside the
# embedded install EMAIL_URL is required (alerts.conf.require_delivery_configured, and the
# alerts.E001 deploy check), as are TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reunify@localhost")
# Delivery timeouts are the alerts engine's (ALERTS_PROVIDER_TIMEOUT); SMTP gets the same bound.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Privacy (privacy/conf.py reads these; docs/privacy.md explains them) -------------------
# Agency documents are kept in their own storage, a private folder by default: never under
# MEDIA_URL or STATIC_URL, served only through the legal office's access-checked view.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "privacy_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str(
                "PRIVACY_DOCUMENTS_ROOT", default=str(BASE_DIR / "var" / "private" / "documents")
            ),
            "base_url": None,
        },
    },
}
# Shown on the agency request page: who to call now.
LEGAL_OFFICE_PHONE = env.str("LEGAL_OFFICE_PHONE", default="")
SAFETY_DEPARTMENT_PHONE = env.str("SAFETY_DEPARTMENT_PHONE", default="")
# Usernames alerted of every agency request besides legal officers and crisis leads.
AGENCY_REQUEST_ALERT_USERNAMES = env.list("AGENCY_REQUEST_ALERT_USERNAMES", default=[])
# Days after an agency request is closed before its documents are deleted and the request
# itself anonymised (the disclosure record and the audit entries stay).
PRIVACY_AGENCY_DOCUMENT_RETENTION_DAYS = env.int(
    "PRIVACY_AGENCY_DOCUMENT_RETENTION_DAYS", default=365
)
PRIVACY_AGENCY_REQUEST_RETENTION_DAYS = env.int(
    "PRIVACY_AGENCY_REQUEST_RETENTION_DAYS", default=1095
)
# Days a closed reunification case is kept before the cases app's registered purge runs.
PRIVACY_CASE_RETENTION_DAYS = env.int("PRIVACY_CASE_RETENTION_DAYS", default=365)
# Message bodies that carried a one-time code or a personal link are wiped once it has expired:
# idempotency-key prefix -> seconds after the message was written (a portal code lives 10
# minutes; a campaign's personal link 14 days).
PRIVACY_WIPE_MESSAGE_BODIES = {
    "portal.code:": env.int("PRIVACY_WIPE_CODE_AFTER_SECONDS", default=60 * 60),
    "campaign.": env.int("PRIVACY_WIPE_LINK_AFTER_SECONDS", default=15 * 24 * 60 * 60),
    # A guardian's one-time code for an unlisted adult (valid 30 minutes).
    "reunify.release_code.": env.int("PRIVACY_WIPE_CODE_AFTER_SECONDS", default=60 * 60),
}
# Where contacts answers privacy's questions about students (privacy never imports contacts).
PRIVACY_DIRECTORY = env.str("PRIVACY_DIRECTORY", default="contacts.privacy_directory.directory")

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: the first class names the scheme of a 401's WWW-Authenticate (session
    # authentication has none, so DRF would answer 403). A request without a token header still
    # signs in with its session, CSRF-checked as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
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
        "ContactPointKindEnum": "contacts.models.ContactPoint.Kind",
        "CaseKindEnum": "reunify.models.Case.Kind",
        "CaseStatusEnum": "reunify.models.Case.Status",
        "CaseStudentStatusEnum": "reunify.models.CaseStudent.Status",
        "TaskKindEnum": "reunify.models.Task.Kind",
        "TaskStatusEnum": "reunify.models.Task.Status",
        "OutreachStatusEnum": "reunify.models.Outreach.Status",
        "AccountingStatusEnum": "reunify.models_release.Accounting.Status",
        "ReleaseApprovalKindEnum": "reunify.models_release.ReleaseApproval.Kind",
        "AgencyRequestOutcomeEnum": "privacy.models.AgencyRequest.Outcome",
        "DisclosureBasisEnum": "privacy.models.DisclosureBasis",
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

# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# Every page loads its scripts and stylesheets from the project's own static files (htmx is
# vendored, nothing comes from a CDN) and has no inline script, inline style or event-handler
# attribute, so the policy allows only this origin. `data:` images are the drawn signatures of
# releases and the API docs' icons. No page may be framed, and forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Logging: phone numbers, email addresses, codes and tokens never reach a log line ---------
# Every handler that writes carries the redacting filter (privacy/logredact.py). Django's own
# "django" handlers (a console under DEBUG, mail to ADMINS) are replaced: its records, among
# them django.request's and django.security's, which quote request paths, go to the root handler;
# runserver's request lines (django.server) get a handler of their own, filtered as well.
# gunicorn's handlers get the filter from its logger class, the Celery worker's from
# config/celery.py.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "privacy.logredact.RedactingFilter"},
        "body_too_big": {"()": "config.logfilters.BodyTooBigAsWarning"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "django.security.RequestDataTooBig": {"filters": ["body_too_big"]},
        # At DEBUG it logs each template variable it cannot resolve with the whole context, a
        # family's names and contact details among it.
        "django.template": {"level": "INFO"},
    },
}
