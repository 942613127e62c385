"""Settings for the helpdesk, read from the environment.

Every variable is listed with its default and meaning in `.env.example`. DATABASE_URL is
always PostgreSQL: `make run` and `make test` set it to the embedded server they start. With
nothing else set, the helpdesk runs embedded: local-memory cache, a Celery broker on the local
filesystem and email printed to the console. With REDIS_URL and EMAIL_URL it runs on Redis
and SMTP.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# environ.Env raises on a value it cannot parse (a bad int, float or URL), so a typo in
# the environment stops the process at start instead of being ignored. Its bool() reads
# any unknown word as False, so booleans go through env_bool, which refuses them.
env = environ.Env()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false, yes/no, on/off or 1/0, not {raw!r}.")


# Runtime state of the embedded mode (PostgreSQL data, broker folders, uploads, beat schedule).
VAR_DIR = Path(env.str("HELPDESK_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    # Development only: DEBUG refuses to be on in a deployment (check --deploy).
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105  # nosec B105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public address used in links sent by email (private ticket links, surveys).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
HELPDESK_NAME = env.str("HELPDESK_NAME", default="Helpdesk")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "auditlog",
    # Sign-in, two-factor sign-in and single sign-on (core.accounts, agents.mfa, agents.sso).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_prometheus",
    "rest_framework",
    # API tokens stored as digests, with an expiry (agents.tokens).
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "agents",
    "notifications",
    "customers",
    "tickets",
    "sla",
    "knowledge",
    "feedback",
    "automation",
    "anymail",
    "mail",
    "privacy",
    "workspace",
    "portal",
    "helpdesk",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.logging.RequestIdMiddleware",
    # The reader's language: the switcher's cookie, else Accept-Language, else LANGUAGE_CODE
    # (an agent's profile language wins in the workspace: agents.decorators). Early, so that
    # the 413 and 503 pages below are in it too.
    "django.middleware.locale.LocaleMiddleware",
    # A database connection lost mid-request answers 503 with Retry-After (core.errors).
    "core.errors.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (core.security).
    "core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 413 for a body over its limit, before anything reads it (core.limits).
    "core.limits.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Who changed the configuration, from where, through what (core.audit, django-auditlog).
    "core.audit.AuditMiddleware",
    "agents.decorators.AgentTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Roles in MFA_REQUIRED_ROLES sign in with a second factor or set one up first (agents.mfa).
    "agents.mfa.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # X-RateLimit-Limit/-Remaining on responses that passed a limit, Retry-After on 429s.
    "core.ratelimit.RateLimitHeadersMiddleware",
    # Turns an exceeded rate limit into RATELIMIT_VIEW's 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # A locked-out sign-in (django-axes, core.accounts) answers core.accounts.locked_out's 429.
    "axes.middleware.AxesMiddleware",
    # An API POST sent again with the same Idempotency-Key is answered once (core.idempotency).
    # Last, so that the view's change and the key's row share one transaction.
    "core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.helpdesk",
                "notifications.views.unread_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# PostgreSQL only. `make run` and `make test` start the embedded server (core.embedded_postgres)
# and set DATABASE_URL; deployments point it at their own server.
# django-prometheus's engine wraps psycopg so that /metrics reports queries and connections
# (through core.db.postgresql: its backend, cheaper per request).
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded PostgreSQL and set it; "
        "to run another command on that one: .venv/bin/python -m core.embedded_postgres manage.py ..."
    )
_default_db = env.db_url("DATABASE_URL")
if _default_db["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL must be a postgres:// URL (PostgreSQL is the only database), not {_default_db['ENGINE']}."
    )
_default_db["ENGINE"] = "core.db.postgresql"
_options = _default_db.setdefault("OPTIONS", {})
if not _default_db["HOST"] and "host" in _options:
    # postgres://user@/db?host=/socket/dir (the embedded server listens on a socket only).
    _default_db["HOST"] = _options.pop("host")
_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
# Parameters bound by the server, and a statement run 5 times on a connection prepared
# (Django prepares nothing unless told): the hot queries are then planned once per
# connection, not per request (planning was most of a token lookup's 1 ms;
# docs/performance.md). Statements whose plan depends on their values run unprepared
# (core.rows.unprepared).
if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
    _options.setdefault("server_side_binding", True)
    _options.setdefault("prepare_threshold", 5)
_pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=10)
if _pool_max > 0:
    # psycopg's pool, one per process. `timeout` bounds the wait for a free
    # connection, so a dead database fails a request in seconds, not minutes.
    _options["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": _pool_max,
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=DATABASE_CONNECT_TIMEOUT),
    }
else:
    _default_db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _default_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="helpdesk"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                # The cache only saves work: with Redis down, pages and the API are built from
                # the database (cache errors are logged, reads miss, writes are dropped).
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
elif CACHE_URL in ("", "locmem://"):
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "helpdesk",
        }
    }
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://, rediss:// or locmem://, not {CACHE_URL!r}.")

# --- Celery ---------------------------------------------------------------------------
# Without a server, the embedded mode passes messages through folders on disk (kombu's
# filesystem transport), which web, worker and beat on one machine can all reach.
# ("localhost" only keeps kombu from warning that the URL names no host.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(CELERY_BROKER_DIR)))
    CELERY_BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        # Exchange bindings; kombu's default is ./control in whatever folder the process runs.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        # A task not acknowledged within this time is given to another worker; longer
        # than the hard time limit, so a running task is never delivered twice.
        "visibility_timeout": 3600,
    }
# Lets several deployments (or test runs) share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# What tasks print (the console email backend in development) is information, not a warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- Email ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="helpdesk@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The address customers write to. Emails about a ticket carry it plus-addressed with a signed
# token as Reply-To (support+t42-<signature>@example.com), which routes answers to the ticket.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Email channel (mail/, docs/email.md) ---
# Largest email taken, in bytes (a 10 MB attachment is about 13.7 MB once encoded); each
# attachment must also fit ATTACHMENT_MAX_BYTES. Bigger mail is refused with a polite answer.
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# MIME parts and nesting depth one email may have (a "MIME bomb" is refused unparsed).
MAIL_MAX_PARTS = env.int("MAIL_MAX_PARTS", default=200)
MAIL_MAX_DEPTH = env.int("MAIL_MAX_DEPTH", default=20)
# Automatic answers (acknowledgements, refusals) to one address per hour, at most.
MAIL_ACKS_PER_SENDER_PER_HOUR = env.int("MAIL_ACKS_PER_SENDER_PER_HOUR", default=5)
# Category of tickets opened by mail that comes through no mailbox (webhook, pipe, Maildir).
MAIL_DEFAULT_CATEGORY = env.str("MAIL_DEFAULT_CATEGORY", default="general")
# Seconds between two polls of the IMAP mailboxes (and the Maildir), and the longest an IMAP
# server may take to answer one command.
MAIL_POLL_SECONDS = env.float("MAIL_POLL_SECONDS", default=60.0)
MAIL_IMAP_TIMEOUT = env.float("MAIL_IMAP_TIMEOUT", default=30.0)
# Emails fetched from one mailbox in one poll, at most (the rest wait for the next poll).
MAIL_POLL_BATCH = env.int("MAIL_POLL_BATCH", default=500)
# A Maildir (new/, cur/, tmp/) the worker polls; `make run` sets var/maildir. Empty: none.
MAIL_MAILDIR = env.str("MAIL_MAILDIR", default="")
# Mail providers' inbound webhooks (django-anymail): /mail/inbound/<provider>/inbound/,
# with HTTP basic auth "user:password" (ANYMAIL_WEBHOOK_SECRET) and, where the provider
# signs its calls, its signing key.
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="") or None,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default="") or None,
}
ANYMAIL = {key: value for key, value in ANYMAIL.items() if value is not None}
# Calls to those webhooks per client address: "<count>/<s|m|h|d>".
MAIL_WEBHOOK_RATE = env.str("MAIL_WEBHOOK_RATE", default="600/m")

SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")
# Seconds a Slack webhook call may take; a slow Slack must not hold a worker.
SLACK_TIMEOUT_SECONDS = env.float("SLACK_TIMEOUT_SECONDS", default=5.0)
# Seconds an integrator's webhook may take to answer (docs/webhooks.md); then it is retried.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Every outgoing HTTP call goes through core.outbound: https to public addresses only. Hosts
# named here ("host" or "host:port", comma-separated) may also be called over http and at
# private addresses: a chat server on the office network, say.
OUTGOING_URL_ALLOWLIST = env.list("OUTGOING_URL_ALLOWLIST", default=[])

# --- SLA ---
# Seconds between two SLA scans (Celery beat).
SLA_SCAN_INTERVAL_SECONDS = env.float("SLA_SCAN_INTERVAL_SECONDS", default=60.0)

# --- Notification outbox ---
# Attempts before a delivery is marked dead, and the backoff between them (seconds).
# Automation (automation.triggers): how deep a chain of triggers setting each other off may
# go, and how long processes may keep triggers and rules without asking for a new version.
AUTOMATION_TRIGGER_DEPTH = env.int("AUTOMATION_TRIGGER_DEPTH", default=5)
AUTOMATION_CACHE_SECONDS = env.int("AUTOMATION_CACHE_SECONDS", default=600)
# Time rules (automation.timerules): seconds between two runs (Celery beat), and the most
# firings one run applies (each in a transaction of its own; the rest wait for the next run).
AUTOMATION_TIME_RULES_INTERVAL_SECONDS = env.float("AUTOMATION_TIME_RULES_INTERVAL_SECONDS", default=300.0)
AUTOMATION_TIME_RULE_BATCH = env.int("AUTOMATION_TIME_RULE_BATCH", default=500)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
# How long a worker owns a row it is sending; after that another worker may take it.
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=300)
# Delivery tasks started side by side after a scan (each skips rows the others hold); set it
# to the worker concurrency so every worker process delivers.
NOTIFICATION_PARALLEL_SWEEPS = env.int("NOTIFICATION_PARALLEL_SWEEPS", default=4)

# --- Tickets ---
# Assign new tickets to an available agent as they arrive.
TICKETS_AUTO_ASSIGN = env_bool("TICKETS_AUTO_ASSIGN", default=True)
# The most tickets one bulk change in the queue may take ("all that match" past it: the page
# asks to narrow the filters), and up to how many run in the request; more run as a task.
BULK_MAX_TICKETS = env.int("BULK_MAX_TICKETS", default=10000)
BULK_INLINE_MAX = env.int("BULK_INLINE_MAX", default=100)
# A saved view's count (the queue's list of views) that takes longer is cancelled and shown as
# the planner's estimate ("≈"), so the list refreshes in bounded time (docs/performance.md).
SAVED_VIEW_COUNT_BUDGET_MS = env.int("SAVED_VIEW_COUNT_BUDGET_MS", default=20)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=5)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
# Largest request body in bytes (JSON and form fields; uploads get room for their files on
# top, see core.limits), and how deeply a JSON body may nest. Past either: 413 / 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
# Anonymous portal forms, per client address: "<count>/<s|m|h|d>".
PORTAL_TICKET_RATE = env.str("PORTAL_TICKET_RATE", default="10/h")
PORTAL_LOOKUP_RATE = env.str("PORTAL_LOOKUP_RATE", default="5/h")
# Closed tickets older than this many days are anonymized by the beat task privacy-retention
# (privacy.services.erase_expired); 0 keeps them.
PRIVACY_RETENTION_DAYS = env.int("PRIVACY_RETENTION_DAYS", default=0)
# Days a private ticket link keeps opening after it was sent (0: no limit). Expired links
# answer 404; the lookup page emails fresh ones.
PORTAL_LINK_MAX_AGE_DAYS = env.int("PORTAL_LINK_MAX_AGE_DAYS", default=0)
PORTAL_REPLY_RATE = env.str("PORTAL_REPLY_RATE", default="30/h")
RATELIMIT_VIEW = "core.views.rate_limited"
RATELIMIT_IP_META_KEY = "core.ratelimit.client_ip"
# Every limit (pages and API) counts in the default cache: Redis whenever REDIS_URL or
# CACHE_URL names one, so all web processes and replicas share one count (atomic incr).
# The local-memory cache of the embedded mode counts per process.
RATELIMIT_USE_CACHE = "default"
# An unreachable cache lets requests through (and is logged) rather than refusing them all.
RATELIMIT_FAIL_OPEN = True
# REST API requests per caller: per user (token or session) and, anonymous, per address.
# "<count>/<s|m|h|d>"; empty turns the limit off (e.g. for a load test).
API_USER_RATE = env.str("API_USER_RATE", default="1200/m")
API_ANON_RATE = env.str("API_ANON_RATE", default="600/h")
# Reverse proxies in front of the app (0: clients connect directly). Rate limits count the
# address this many entries from the right of X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Reports ---
# Seconds an API report (SLA compliance, feedback summary) is served from the cache before it
# is computed again: a busy dashboard polled by many agents then costs one computation a
# minute, not one per poll. Each answer says when it was computed (generated_at); 0 turns
# the cache off.
REPORT_CACHE_SECONDS = env.int("REPORT_CACHE_SECONDS", default=60)

# --- Knowledge base ---
# Seconds a public knowledge-base API answer is cached (changes retire it at once anyway).
KB_PUBLIC_CACHE_SECONDS = env.int("KB_PUBLIC_CACHE_SECONDS", default=300)
KB_VOTE_RATE = env.str("KB_VOTE_RATE", default="30/h")

# --- Feedback ---
# Days a satisfaction survey link stays valid.
SURVEY_EXPIRY_DAYS = env.int("SURVEY_EXPIRY_DAYS", default=14)
PORTAL_SURVEY_RATE = env.str("PORTAL_SURVEY_RATE", default="20/h")

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agent/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Failed password sign-ins per client address and per username (every sign-in form, the
# admin's included): "10/15m" locks after 10 failures until 15 minutes after the last one.
LOGIN_RATE = env.str("LOGIN_RATE", default="10/15m")
# Password reset requests per client address and per address asked for.
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="5/h")
# The audit log keeps each change's before and after as JSON (core.audit, helpdesk.audit).
AUDITLOG_STORE_JSON_CHANGES = True
# django-axes counts the failures (core.accounts explains the choices).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one locks
AXES_FAILURE_LIMIT = "core.accounts.login_failure_limit"
AXES_COOLOFF_TIME = "core.accounts.login_cool_off"
AXES_USERNAME_CALLABLE = "core.accounts.login_username"
AXES_CLIENT_IP_CALLABLE = "core.accounts.login_client_ip"
AXES_LOCKOUT_CALLABLE = "core.accounts.locked_out"
AXES_RESET_ON_SUCCESS = False  # one's own account must not reset an address's failures
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # Retry-After stays true

# django-allauth draws the sign-in form and its second step (core.accounts): agents sign in
# by username; nobody signs up; django-axes stays the one password throttle, so allauth's
# own counting of passwords is off (core.accounts.AccountAdapter). Its "login_failed" limit
# is what caps second-factor codes: 5 wrong codes per user per 5 minutes.
ACCOUNT_ADAPTER = "core.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# Sessions last SESSION_COOKIE_AGE as before allauth (the form asks no "remember me").
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # an agent is emailed when a second factor is added or removed
ACCOUNT_RATE_LIMITS = {"login": False, "login_failed": "30/m/ip,5/300s/key"}
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two-factor sign-in (agents.mfa): an authenticator app (TOTP) with recovery codes.
MFA_ADAPTER = "agents.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = HELPDESK_NAME
MFA_RECOVERY_CODE_COUNT = 10
# Roles that must sign in with a second factor (agent, supervisor, admin; superusers count
# as admin). A user of such a role without one is sent to set it up before anything else.
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["supervisor", "admin"])

# Single sign-on with OpenID Connect (agents.sso): off unless OIDC_ISSUER is set.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_NAME = env.str("OIDC_NAME", default="single sign-on")
# Addresses allowed to sign in this way (domains, comma-separated; empty: any domain).
OIDC_ALLOWED_DOMAINS = [d.lower() for d in env.list("OIDC_ALLOWED_DOMAINS", default=[])]
# The claim that names the agent's role, and how its values map to roles
# ("helpdesk-admins:admin,helpdesk-leads:supervisor"); a user whose claim maps to no role
# is refused. Without a claim, new agents get the role agent and existing ones keep theirs.
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="")
OIDC_ROLE_MAP = dict(item.split(":", 1) for item in env.list("OIDC_ROLE_MAP", default=[]) if ":" in item)
# Create an agent on the first sign-in of an allowed address (off: only existing agents).
OIDC_CREATE_AGENTS = env_bool("OIDC_CREATE_AGENTS", default=False)
SOCIALACCOUNT_ADAPTER = "agents.sso.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "sso",
                    "name": OIDC_NAME,
                    "client_id": OIDC_CLIENT_ID,
                    "secret": OIDC_CLIENT_SECRET,
                    # The client secret goes in the token request's body (a method name, not a secret).
                    "settings": {"server_url": OIDC_ISSUER, "token_auth_method": "client_secret_post"},  # nosec B105
                }
            ]
            if OIDC_ISSUER
            else []
        ),
    }
}

# API tokens (agents.tokens, django-rest-knox): stored as SHA-512 digests and valid this many
# days from issue (0: no expiry). Expired tokens are deleted each night (api-token-purge).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=365)
REST_KNOX = {"AUTO_REFRESH": False, "TOKEN_LIMIT_PER_USER": None}  # nosec B105 - no password here

# --- Internationalisation -------------------------------------------------------------
# English and Russian (locale/ru: docs/development.md, "Translations"). LANGUAGE_CODE is the
# site's language: pages for a browser that asks for neither, emails without a reader's
# language, Slack alerts.
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}.")
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switcher's choice, kept a year; never read by scripts.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files served by whitenoise in production; in development
        # runserver serves them from the source folders.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agents.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    # Every request counts against its caller (API_USER_RATE, API_ANON_RATE above).
    "DEFAULT_THROTTLE_CLASSES": ["core.ratelimit.ApiRateThrottle"],
    # Bodies are JSON, with size and depth limits (core.limits): a generated client sends what
    # the schema documents, and an operation documented for several media types gets them all
    # at once. Files go to the upload operations only (multipart, tickets/api.py); any other
    # body answers 415.
    "DEFAULT_PARSER_CLASSES": ["core.limits.JSONParser"],
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# List counts stop at this many rows (count_exact false past it) and pages reach no deeper:
# counting or skipping a million rows on every page is what makes a big helpdesk slow.
# Past 1,000 a list says "1,000+" (count_exact false): an exact count of a filter matching
# 10,000 tickets through a join costs ~20 ms, more than the page itself.
API_COUNT_LIMIT = env.int("API_COUNT_LIMIT", default=1000)
API_MAX_OFFSET = env.int("API_MAX_OFFSET", default=10000)
# Incremental sync (core.api.SyncPagination) leaves rows changed in the last this many seconds
# for a later page: a row's updated_at is written before its transaction commits, and a
# cursor that passed its time before the commit would never come back for it. Longer than
# any transaction that changes a ticket, a message or feedback.
API_SYNC_SETTLE_SECONDS = env.int("API_SYNC_SETTLE_SECONDS", default=30)
# Ticket search ranks this many of the newest matching tickets (a common word can match a
# large share of a million tickets; ranking them all would read every one). As many as a
# list counts exactly (API_COUNT_LIMIT), and as many as Zendesk's search API returns (past
# 1,000 it points to its export endpoint). 2,000 took 40 % more of the database's time per
# search (docs/performance.md).
TICKET_SEARCH_CANDIDATES = env.int("TICKET_SEARCH_CANDIDATES", default=1000)

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, agents, SLA, knowledge base and feedback.",
    "VERSION": "1.1.0",  # docs/api.md, "Compatibility promise" and "Changes"
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from this server, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "TicketChannelEnum": "tickets.models.Channel",
        "TicketCreateChannelEnum": ["api", "agent", "email", "phone", "walk_in"],
        "TicketPriorityEnum": "tickets.models.Priority",
        "AgentStatusEnum": "agents.models.AgentStatus",
        "AgentRoleEnum": "agents.models.AgentRole",
        "ArticleStatusEnum": "knowledge.models.ArticleStatus",
        "ArticleLanguageEnum": "knowledge.models.Language",
        "ReaderLanguageEnum": "agents.models.LANGUAGE_CHOICES",
        "SurveyStateEnum": "feedback.models.SurveyState",
        "AutomationActionKindEnum": "automation.models.ActionKind",
        "AutomationConditionFieldEnum": "automation.models.Field",
        "AutomationOperatorEnum": "automation.models.Operator",
        "AutomationEventEnum": "automation.models.Event",
    },
}

# --- Health ---------------------------------------------------------------------------
# Seconds each check of /api/health may take before it is reported as failing.
# A little over DATABASE_CONNECT_TIMEOUT, so a dead database is reported with the
# driver's own reason rather than as a timeout, still well within a 5 s probe.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=4.0)

# --- Security -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", default=False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes from the orchestrator and Prometheus talk plain HTTP inside the network.
# Who reads /metrics and the details of /api/health (core.monitoring): a caller with
# "Authorization: Bearer <METRICS_TOKEN>", or one from these addresses or networks. Neither
# set: nobody outside (signed-in staff still see the health details).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$", r"^api/health/live/?$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages: everything from this origin only, no inline scripts or styles (htmx, workspace.js
# and Swagger UI are static files here), no plugins, no framing. Anything that is not HTML
# (API answers, files) may load nothing at all. See core.security.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if OIDC_ISSUER:
    # Signing in through the identity provider submits a form that redirects there.
    from urllib.parse import urlsplit

    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")
CONTENT_SECURITY_POLICY_OTHER = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
SILENCED_SYSTEM_CHECKS = (
    # HSTS preload is a one-way commitment for a whole domain; it is the operator's call
    # (SECURE_HSTS_PRELOAD), not a default.
    ["security.W021"] if not SECURE_HSTS_PRELOAD else []
)

# --- Logging --------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        # Private-link, survey and password-reset tokens never reach a log (core.logging).
        "redact_secrets": {"()": "core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our RequestIdMiddleware writes one line per request, with its id.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Metrics --------------------------------------------------------------------------
# prometheus_client writes each process's figures into PROMETHEUS_MULTIPROC_DIR and fails on
# the first counted query when the folder is missing. gunicorn's on_starting empties and
# makes it; the other processes of the image (migrate, worker, beat) start before or
# without it, so every process makes sure it exists.
if _metrics_dir := env.str("PROMETHEUS_MULTIPROC_DIR", default=""):
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
