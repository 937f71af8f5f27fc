"""Settings, read from the environment (12-factor).

Every variable is listed in docs/configuration.md. With nothing set, ekseva runs
on the embedded defaults: SQLite under ``var/``, tasks in-process, local-memory
cache, messages written to the developer outbox.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("EKSEVA_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", "dev-insecure-ekseva-secret-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- the portal ----------------------------------------------------------
EKSEVA_PORTAL_NAME = env("EKSEVA_PORTAL_NAME", "ekseva")
EKSEVA_PORTAL_NAME_HI = env("EKSEVA_PORTAL_NAME_HI", "ई-सेवा")
EKSEVA_STATE_NAME = env("EKSEVA_STATE_NAME", "Madhya Pradesh")
EKSEVA_STATE_NAME_HI = env("EKSEVA_STATE_NAME_HI", "मध्य प्रदेश")
EKSEVA_STATE_CODE = env("EKSEVA_STATE_CODE", "MP")
# Key for the Aadhaar HMAC token; rotate only with a re-tokenisation.
AADHAAR_HMAC_KEY = env("AADHAAR_HMAC_KEY", SECRET_KEY)

# --- apps ------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "captcha",
    "django_htmx",
    # ours, lowest layer first (see docs/architecture.md)
    "ekseva.core",
    "ekseva.notifications",
    "ekseva.geo",
    "ekseva.ledger",
    "ekseva.accounts",
    "ekseva.forms",
    "ekseva.catalog",
    "ekseva.payments",
    "ekseva.applications",
    "ekseva.kiosks",
    "ekseva.workflow",
    "ekseva.certificates",
    "ekseva.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ekseva.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ekseva.urls"
WSGI_APPLICATION = "ekseva.wsgi.application"

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
                "ekseva.web.context_processors.portal",
            ],
        },
    },
]

# --- database --------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ekseva.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and background work ----------------------------------------------
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Kolkata"
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "ekseva.core.tasks.seal_audit_log", "schedule": 5.0},
    "audit-seal-full": {
        "task": "ekseva.core.tasks.seal_audit_log",
        "schedule": 3600.0,
        "kwargs": {"full": True},
    },
    "outbox-sweep": {"task": "ekseva.notifications.tasks.sweep_outbox", "schedule": 60.0},
    "ledger-snapshot": {"task": "ekseva.ledger.tasks.snapshot_balances", "schedule": 300.0},
    "payments-poll": {"task": "ekseva.payments.tasks.poll_due", "schedule": 60.0},
    "payments-sweep": {"task": "ekseva.payments.tasks.sweep", "schedule": 6 * 3600.0},
    # Department settlement batches of the day (or week) just ended, at 02:00 IST.
    "payments-settlements": {
        "task": "ekseva.payments.tasks.make_settlements",
        "schedule": crontab(hour=2, minute=0),
    },
    # The sandbox gateway's due webhooks (late successes, retries); nothing when none is due.
    "payments-sandbox-webhooks": {
        "task": "ekseva.payments.tasks.deliver_sandbox_webhooks",
        "schedule": 30.0,
    },
    # Drafts whose window ended yesterday (last moment 23:59:59) and unpaid
    # applications past the grace, closed at 00:10 IST.
    "applications-close-lapsed": {
        "task": "ekseva.applications.tasks.close_lapsed",
        "schedule": crontab(hour=0, minute=10),
    },
    # "Your draft is not submitted and the window closes soon", at 09:00 IST.
    "applications-remind-drafts": {
        "task": "ekseva.applications.tasks.remind_closing_drafts",
        "schedule": crontab(hour=9, minute=0),
    },
    # Last month's kiosk commission statements (with TDS), on the 1st at 03:00 IST.
    "kiosks-commission-statements": {
        "task": "ekseva.kiosks.tasks.make_commission_statements",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # Back office: cases past their due date into the delay register and to the next
    # officer at 00:30 IST; officers reminded of cases due soon at 08:00 IST.
    "workflow-escalate-breaches": {
        "task": "ekseva.workflow.tasks.escalate_breaches",
        "schedule": crontab(hour=0, minute=30),
    },
    "workflow-remind-due": {
        "task": "ekseva.workflow.tasks.remind_due",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- auth --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "accounts:profile"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)  # idle expiry
SESSION_ENGINE = "ekseva.core.sessions"  # database sessions, deadline pushed once a minute
SESSION_SAVE_EVERY_REQUEST = False  # the engine marks a session due for its push itself
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)  # push the idle deadline
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)  # set it on HTTPS deployments
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"

OTP_LENGTH = 6
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_RATE_PER_MOBILE = env_int("OTP_RATE_PER_MOBILE", 5)  # per hour
OTP_RATE_PER_IP = env_int("OTP_RATE_PER_IP", 20)  # per hour
OTP_TOTP_ISSUER = EKSEVA_PORTAL_NAME

CAPTCHA_TEST_MODE = env_bool("CAPTCHA_TEST_MODE", False)
CAPTCHA_LENGTH = 5
CAPTCHA_IMAGE_SIZE = (140, 48)
CAPTCHA_FONT_SIZE = 32

# --- messages -----------------------------------------------------------------
# sms: "outbox" (developer outbox page) or "http" (DLT gateway);
# email: "outbox" or "smtp".
NOTIFY_SMS_BACKEND = env("NOTIFY_SMS_BACKEND", "outbox")
NOTIFY_EMAIL_BACKEND = env("NOTIFY_EMAIL_BACKEND", "outbox")
SMS_HTTP_URL = env("SMS_HTTP_URL", "")
SMS_HTTP_API_KEY = env("SMS_HTTP_API_KEY", "")
SMS_SENDER_ID = env("SMS_SENDER_ID", "EKSEVA")
SMS_DLT_ENTITY_ID = env("SMS_DLT_ENTITY_ID", "")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "no-reply@ekseva.local")
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60)  # doubles per failure
NOTIFY_RETRY_CAP_SECONDS = env_int("NOTIFY_RETRY_CAP_SECONDS", 3600)
NOTIFY_SENDING_TIMEOUT_SECONDS = env_int("NOTIFY_SENDING_TIMEOUT_SECONDS", 600)
NOTIFY_REFERENCE_PREFIX = env("NOTIFY_REFERENCE_PREFIX", "ekseva")  # unique per environment
SMS_HTTP_TIMEOUT_SECONDS = env_int("SMS_HTTP_TIMEOUT_SECONDS", 10)
# Show the developer outbox at /<lang>/dev/outbox/ (never in production).
DEV_OUTBOX = env_bool("DEV_OUTBOX", DEBUG or not env("DATABASE_URL"))

# Saturdays (1st..5th of the month) on which state offices are closed, e.g. "2,4".
WORKDAYS_SATURDAYS_OFF = [int(n) for n in env_list("WORKDAYS_SATURDAYS_OFF", "")]

# The portal's public address, for links in documents made outside a request
# (the QR code of a receipt attached to an email).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- applications (docs/applications.md) ---------------------------------------------
# A fee-pending application is closed this long after the last date (payments in flight).
APPLICATION_FEE_GRACE_HOURS = env_int("APPLICATION_FEE_GRACE_HOURS", 24)
# Drafts are reminded this long before the window closes.
APPLICATION_REMIND_HOURS = env_int("APPLICATION_REMIND_HOURS", 48)

# --- kiosks (docs/kiosks.md) -----------------------------------------------------------
# How long a citizen's consent (given by OTP) lets one kiosk act for them.
KIOSK_CONSENT_MINUTES = env_int("KIOSK_CONSENT_MINUTES", 60)
# The fee to apply to run a kiosk (paise; GST at 18% is added on top).
KIOSK_REGISTRATION_FEE_PAISE = env_int("KIOSK_REGISTRATION_FEE_PAISE", 100_000)
# TDS on kiosk commission (section 194H), basis points: 200 = 2%.
KIOSK_TDS_RATE_BP = env_int("KIOSK_TDS_RATE_BP", 200)
# A new kiosk's low-balance alert mark (paise); the franchisee can change it.
KIOSK_LOW_BALANCE_PAISE = env_int("KIOSK_LOW_BALANCE_PAISE", 50_000)
# How long the link to activate a kiosk login (set a password, enrol the authenticator) works.
KIOSK_ACTIVATION_HOURS = env_int("KIOSK_ACTIVATION_HOURS", 72)

# --- back office (docs/workflow.md) and certificates (docs/certificates.md) ----------
# Officers are reminded this many days before a case falls due.
WORKFLOW_REMIND_DAYS = env_int("WORKFLOW_REMIND_DAYS", 2)
# An appeal may be filed within this many days of the rejection or the breach.
APPEAL_DAYS = env_int("APPEAL_DAYS", 30)
# The Act's penalty on the officer responsible for a delay: per day, and at most.
PENALTY_PER_DAY_PAISE = env_int("PENALTY_PER_DAY_PAISE", 25_000)
PENALTY_MAX_PAISE = env_int("PENALTY_MAX_PAISE", 500_000)
# Encrypts departments' private signing keys at rest (default: derived from SECRET_KEY).
CERTIFICATE_KEY_SECRET = env("CERTIFICATE_KEY_SECRET", "")
# Lookups one address may make on the public verification page per minute.
CERTIFICATE_VERIFY_PER_MINUTE = env_int("CERTIFICATE_VERIFY_PER_MINUTE", 30)

# --- payments (docs/payments.md) ----------------------------------------------------
# Gateways a payer may choose, in order; the first is the default.
PAYMENT_GATEWAYS = env_list("PAYMENT_GATEWAYS", "sandbox")
PAYMENT_CHECKOUT_MINUTES = env_int("PAYMENT_CHECKOUT_MINUTES", 30)  # the payer's window
PAYMENT_EXPIRY_GRACE_SECONDS = env_int("PAYMENT_EXPIRY_GRACE_SECONDS", 600)  # polled after
PAYMENT_POLL_FIRST_SECONDS = env_int("PAYMENT_POLL_FIRST_SECONDS", 60)  # doubles per poll
PAYMENT_POLL_MAX_SECONDS = env_int("PAYMENT_POLL_MAX_SECONDS", 900)
PAYMENT_LATE_SUCCESS_DAYS = env_int("PAYMENT_LATE_SUCCESS_DAYS", 3)  # the sweep asks again
# How often departments are settled by the nightly run: daily or weekly (Monday–Sunday).
SETTLEMENT_FREQUENCY = env("SETTLEMENT_FREQUENCY", "daily")
# The sandbox gateway signs its returns and webhooks with this key.
SANDBOX_GATEWAY_SECRET = env("SANDBOX_GATEWAY_SECRET", SECRET_KEY + ":sandbox")
RAZORPAY_KEY_ID = env("RAZORPAY_KEY_ID", "")
RAZORPAY_KEY_SECRET = env("RAZORPAY_KEY_SECRET", "")
RAZORPAY_WEBHOOK_SECRET = env("RAZORPAY_WEBHOOK_SECRET", "")
RAZORPAY_API_BASE = env("RAZORPAY_API_BASE", "https://api.razorpay.com/v1")
RAZORPAY_TIMEOUT_SECONDS = env_int("RAZORPAY_TIMEOUT_SECONDS", 10)

# --- i18n ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Kolkata"
USE_TZ = True

# --- static and uploads -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))  # never served directly
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- security headers ---------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
)

# --- API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "ekseva.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ekseva API",
    "DESCRIPTION": "Public service delivery platform API",
    "VERSION": "1.0.0",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "celery": {"level": "WARNING"}},
}
