from django.apps import AppConfig


def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    """PY_LOWER: Unicode-aware lower case for the SQLite search fallback."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "PY_LOWER", 1, lambda text: text.lower() if isinstance(text, str) else text, deterministic=True
        )


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_register_sqlite_functions, dispatch_uid="knowledge-sqlite-functions")
