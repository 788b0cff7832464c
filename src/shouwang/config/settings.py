"""Settings for every deployment, from one laptop to a national cluster.

Twelve-factor: everything that differs between deployments comes from environment variables.
The defaults are the embedded deployment (SQLite under var/, a local worker, no servers), so
`make demo` needs nothing but Python. `SHOUWANG_ENV=production` turns on the hardening that a
public deployment needs (secure cookies, HSTS, no debug) and refuses to start without a real
secret key and a real personal-data key.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parents[3]
SRC_DIR = BASE_DIR / "src" / "shouwang"
VAR_DIR = Path(os.environ.get("SHOUWANG_VAR_DIR", BASE_DIR / "var"))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

ENVIRONMENT = os.environ.get("SHOUWANG_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = os.environ.get("SHOUWANG_TESTING") == "1"

DEBUG = os.environ.get("SHOUWANG_DEBUG", "0" if PRODUCTION else "1") == "1"

_INSECURE_DEV_SECRET = "insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SHOUWANG_SECRET_KEY", _INSECURE_DEV_SECRET)
if PRODUCTION and SECRET_KEY == _INSECURE_DEV_SECRET:
    raise RuntimeError("SHOUWANG_SECRET_KEY must be set in production")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SHOUWANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SHOUWANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "shouwang.core",
    "shouwang.geo",
    "shouwang.accounts",
    "shouwang.surveillance",
    "shouwang.warning",
    "shouwang.tracing",
    "shouwang.risk",
    "shouwang.livelihood",
    "shouwang.api",
    "shouwang.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shouwang.core.middleware.RequestContextMiddleware",
    "shouwang.accounts.middleware.SecondFactorRequiredMiddleware",
    # Axes must be last: it turns its lockout signal into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shouwang.config.urls"
WSGI_APPLICATION = "shouwang.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shouwang.dashboard.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL) by default; PostgreSQL through DATABASE_URL=postgres://…
_default_sqlite = f"sqlite:///{VAR_DIR / 'shouwang.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = int(os.environ.get("SHOUWANG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("SHOUWANG_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Shouwang 守望"

SESSION_COOKIE_AGE = int(os.environ.get("SHOUWANG_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; see base.html

API_TOKEN_DEFAULT_DAYS = int(os.environ.get("SHOUWANG_API_TOKEN_DAYS", "90"))

# --- Personal data ----------------------------------------------------------------------------
# Keys for the encrypted personal fields: SHOUWANG_DATA_KEYS="kid1:base64key,kid2:base64key"
# (the first one encrypts, all decrypt) or SHOUWANG_DATA_KEY_FILE pointing at a file with the
# same content one key per line. Lookups use SHOUWANG_LOOKUP_KEY (HMAC-SHA256).
PERSONAL_DATA_KEYS = os.environ.get("SHOUWANG_DATA_KEYS", "")
PERSONAL_DATA_KEY_FILE = os.environ.get("SHOUWANG_DATA_KEY_FILE", str(VAR_DIR / "data-keys"))
PERSONAL_LOOKUP_KEY = os.environ.get("SHOUWANG_LOOKUP_KEY", "")
PERSONAL_LOOKUP_KEY_FILE = os.environ.get("SHOUWANG_LOOKUP_KEY_FILE", str(VAR_DIR / "lookup-key"))

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
                    if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Background jobs --------------------------------------------------------------------------
# Embedded default: kombu's SQLAlchemy transport on a SQLite file, so a local worker runs with no
# server. Production: CELERY_BROKER_URL=redis://…
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "0") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Notifications ----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "SHOUWANG_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# Alert notifications (warning/services/notify.py): every one is an in-app Notification; these
# backends (dotted paths, comma-separated) send it on too. Available: ...notify.ConsoleBackend
# (stdout + log, the default), ...notify.EmailBackend (send_mail through EMAIL_BACKEND),
# ...notify.LoggingSmsBackend (the SMS seam: logs only). Alerts still new or under verification
# this many hours after they were raised (or last escalated) are escalated one level up.
SHOUWANG_NOTIFY_BACKENDS = [
    p.strip() for p in os.environ.get(
        "SHOUWANG_NOTIFY_BACKENDS", "shouwang.warning.services.notify.ConsoleBackend"
    ).split(",") if p.strip()
]
SHOUWANG_ALERT_VERIFY_HOURS = float(os.environ.get("SHOUWANG_ALERT_VERIFY_HOURS", "24"))
# How far up an alert nobody verifies is escalated, one rung per missed period: 1 the
# prefecture's city officers, 2 the province, 3 the national officers (default). Validated by
# warning.services.alerts.max_escalation (a bad value stops the escalation job with its name).
SHOUWANG_ALERT_MAX_ESCALATION = os.environ.get("SHOUWANG_ALERT_MAX_ESCALATION", "3")

# --- Tracing: investigations and clusters (tracing/tasks.py; decision 1010) -------------------
# Every this many minutes the investigations of new confirmed cases and asymptomatic infections
# are opened; every night at this hour (local time) the clusters are detected again.
SHOUWANG_INVESTIGATIONS_OPEN_MINUTES = int(
    os.environ.get("SHOUWANG_INVESTIGATIONS_OPEN_MINUTES", "10"))
SHOUWANG_CLUSTER_DETECTION_HOUR = int(os.environ.get("SHOUWANG_CLUSTER_DETECTION_HOUR", "3"))

# Risk levels (decisions 1100, 1120): the daily job computes the levels in force today at
# HOUR:MINUTE local time and publishes them unless AUTO_PUBLISH is 0 (then an officer does).
SHOUWANG_RISK_AUTO_PUBLISH = os.environ.get("SHOUWANG_RISK_AUTO_PUBLISH", "1") == "1"
SHOUWANG_RISK_LEVELS_HOUR = int(os.environ.get("SHOUWANG_RISK_LEVELS_HOUR", "0"))
SHOUWANG_RISK_LEVELS_MINUTE = int(os.environ.get("SHOUWANG_RISK_LEVELS_MINUTE", "20"))
# Relapse-into-poverty monitoring (decision 1220): a signal must be decided within this many
# days; the household's own report is throttled per IP and per household number.
SHOUWANG_LIVELIHOOD_DECISION_DAYS = int(os.environ.get("SHOUWANG_LIVELIHOOD_DECISION_DAYS", "15"))

# A health commission's own rule kinds are modules that call
# shouwang.epi.risk_rules.register_rule_kind, named here (comma-separated dotted paths).
SHOUWANG_RISK_RULE_KINDS = [p.strip() for p in os.environ.get("SHOUWANG_RISK_RULE_KINDS", "")
                            .split(",") if p.strip()]

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SHOUWANG_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Every asset is served from this origin (nothing is fetched from a CDN); inline scripts are
# not allowed, so every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHOUWANG_LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}

