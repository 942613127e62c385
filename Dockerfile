# One image for web, worker and beat; the command chooses the role.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HELPDESK_VAR_DIR=/var/lib/helpdesk \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

RUN apt-get update \
    && apt-get install --no-install-recommends -y curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 helpdesk

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings but no services: a throwaway key and a database URL that is
# never connected to, neither used at run time.
RUN SECRET_KEY=collectstatic-only DEBUG=false DATABASE_URL=postgres://collectstatic@localhost/unused \
    python manage.py collectstatic --no-input \
    && mkdir -p /var/lib/helpdesk/media \
    && chown -R helpdesk:helpdesk /var/lib/helpdesk

USER helpdesk
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/api/health || exit 1
CMD ["docker/web.sh"]
