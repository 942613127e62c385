"""django-prometheus's PostgreSQL backend (queries counted for /metrics), made cheaper per
request.

With psycopg's pool, Django connects and disconnects on every request (a connection is
taken from the pool and given back), and two things were paid each time that need not be:

- django-prometheus builds its instrumented cursor class anew at every connect (a class
  created per request); here it is built once per cursor class, alias and vendor.
- Django reads `timestamptz` values with its own loader, a subclass of psycopg's pure-Python
  one, only to attach its time zone (4 % of the workers' Python time in the benchmark's
  mixed load). When the session's time zone is UTC, which is what Django sets with
  USE_TZ, psycopg's C loader gives the same values (tzinfo `datetime.timezone.utc`), so a
  connection whose session is in UTC reads them with that one.
"""

from __future__ import annotations

import functools
from datetime import UTC

from django.db.backends.postgresql import base as django_base
from django_prometheus.db.backends.postgresql import base as prometheus_base
from django_prometheus.db.common import ExportingCursorWrapper
from psycopg import adapters
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
# psycopg's C loader (psycopg[binary] or psycopg[c]); with the pure-Python build there is
# none, and Django's own loader stays.
_C_LOADER = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
if _C_LOADER is None or not _C_LOADER.__module__.startswith(("psycopg_binary", "psycopg_c")):
    _C_LOADER = None


@functools.cache
def _instrumented(cursor_class, alias: str, vendor: str):
    return ExportingCursorWrapper(cursor_class, alias, vendor)


class DatabaseWrapper(prometheus_base.DatabaseWrapper):
    def get_connection_params(self):
        params = django_base.DatabaseWrapper.get_connection_params(self)
        params["cursor_factory"] = _instrumented(params["cursor_factory"], self.alias, self.vendor)
        return params

    def init_connection_state(self):
        super().init_connection_state()
        connection = self.connection
        if (
            _C_LOADER is not None
            and self.timezone is UTC
            and connection.info.timezone is UTC
            and connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is not _C_LOADER
        ):
            connection.adapters.register_loader(TIMESTAMPTZ_OID, _C_LOADER)

    def create_cursor(self, name=None):
        if self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is not _C_LOADER:
            return super().create_cursor(name)  # Django's loader, checked against the time zone
        # Django's create_cursor, less its time zone check: psycopg's loader reads the
        # session's time zone, which init_connection_state found to be Django's (UTC).
        if not name:
            return self.connection.cursor()
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return django_base.ServerSideCursor(
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)
