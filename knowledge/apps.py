from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        # Imported here, once the apps are loaded: a tag renamed or merged renames it on articles.
        from knowledge.services import articles_rename_tag
        from tickets import tags

        tags.register(articles_rename_tag)
