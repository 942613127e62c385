from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registered once Django has started: the collector reads through the apps' readers
        # (core.metrics.register_database_metrics), which they add in their own ready().
        from core.metrics import register_database_collector

        register_database_collector()
