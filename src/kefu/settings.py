"""Django settings for kefu.

Zero set-up by default: SQLite (WAL) under the data dir, one process, in-memory
real-time hub. Set DATABASE_URL (PostgreSQL) and REDIS_URL to run many processes.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The secret comes from the environment, or is generated once and kept in the data dir."""
    if key := os.environ.get("KEFU_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("KEFU_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("KEFU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("KEFU_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kefu.shops",
    "kefu.chat",
    "kefu.playbook",
    "kefu.coach",
    "kefu.customers",
    "kefu.orders",
    "kefu.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kefu.urls"
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
            ],
        },
    },
]
ASGI_APPLICATION = "kefu.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KEFU_SQLITE_PATH", str(DATA_DIR / "kefu.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; NORMAL is durable
                # across a process kill (only an OS crash can lose the last commits).
                # A writer waits up to 20 s for the lock: an order import's merge holds it
                # ~2 s per 100,000 rows, and chat messages should wait for it, not fail.
                # A 64 MB page cache keeps imports into a large orders table fast.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                ),
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            # Tests need a file, not memory: the server runs in other threads and processes.
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:desk"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KEFU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"  # the widget page opts out explicitly: it is meant to be framed
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "WARNING")},
}

# Chat limits (the rules live in kefu.chat.services; these are the knobs).
KEFU_MAX_MESSAGE_CHARS = 2000
KEFU_MAX_IMAGE_BYTES = 5 * 1024 * 1024
KEFU_VISITOR_RATE = (10, 10.0)  # at most 10 messages in any 10 seconds per visitor
# Every frame a socket sends: refilled at this many a second, bursts up to the second number.
KEFU_SOCKET_FRAME_RATE = (20.0, 60)
# The coach reads every customer message; KEFU_COACH=0 turns it off (benchmarks compare).
KEFU_COACH = os.environ.get("KEFU_COACH", "1") != "0"
