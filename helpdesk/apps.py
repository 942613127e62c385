from django.apps import AppConfig


def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    """PY_LOWER: Unicode-aware lower case for the SQLite search fallbacks (SQLite's own
    lower() and LIKE fold ASCII letters only: "Пароль" would not match "пароль")."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "PY_LOWER", 1, lambda text: text.lower() if isinstance(text, str) else text, deterministic=True
        )


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from helpdesk.metrics import register_database_collector

        register_database_collector()
        connection_created.connect(_register_sqlite_functions, dispatch_uid="helpdesk-sqlite-functions")
