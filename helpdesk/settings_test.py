"""Test-only tweaks on top of the real settings; everything else is as in production."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import CACHES, DATABASES, REST_FRAMEWORK

# APIClient sends JSON unless a test says format="multipart" (the API reads JSON only, but
# for the upload operations).
REST_FRAMEWORK["TEST_REQUEST_DEFAULT_FORMAT"] = "json"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
LOG_FORMAT = "text"
LOGGING["handlers"]["console"]["formatter"] = "text"

# Each run gets its own cache namespace, so runs against a shared Redis never see each
# other's keys.
if "KEY_PREFIX" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = f"helpdesk-test-{os.getpid()}"

# A test database of this session's own: several sessions on one server (two terminals on
# the embedded PostgreSQL of var/, or parallel CI jobs) never drop each other's.
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
    "TEST_DATABASE_NAME", f"test_helpdesk_{os.getpid()}"
)

# Serve static files from the source folders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The suite's own receivers (Slack, webhooks, OAuth providers) listen on loopback; the guard
# itself is tested with this list emptied (core/tests/test_outbound.py).
OUTGOING_URL_ALLOWLIST = ["127.0.0.1", "localhost"]

# The monitoring caller of /metrics and /api/health's details (the `monitor` fixture).
METRICS_TOKEN = "tests-only-metrics-token"  # noqa: S105  # nosec B105

# Tests sign agents in with force_login; the second factor is tested with the roles set
# (agents/tests/test_mfa.py).
MFA_REQUIRED_ROLES = []

# Tests that want assignment on creation turn it on themselves.
TICKETS_AUTO_ASSIGN = False

# Reports are computed afresh: tests change data and read the figures again at once. The
# cache itself is tested with it on (helpdesk/tests/test_report_cache.py).
REPORT_CACHE_SECONDS = 0

# A saved view's count is not cut short by a busy test machine: the budget's own path is
# tested with a budget of its own (tickets/tests/test_saved_views.py).
SAVED_VIEW_COUNT_BUDGET_MS = 2000
