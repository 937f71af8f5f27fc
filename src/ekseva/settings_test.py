"""Settings for the test suite: the real settings, made fast and deterministic."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import DATABASES

CAPTCHA_TEST_MODE = True  # the captcha answer "PASSED" is accepted
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ekseva-media-"))
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEV_OUTBOX = True
NOTIFY_SMS_BACKEND = "outbox"
NOTIFY_EMAIL_BACKEND = "outbox"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # In-memory test databases per xdist worker.
    DATABASES["default"]["TEST"] = {"NAME": None}
