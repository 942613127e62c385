#!/bin/sh
# Web container: apply migrations, then hand the process over to gunicorn (PID 1 gets SIGTERM).
set -e
python manage.py migrate --no-input
exec gunicorn -c gunicorn.conf.py helpdesk.wsgi
