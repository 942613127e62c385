"""Articles and FAQs in Django admin, with a rendered preview."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from knowledge import services
from knowledge.models import FAQ, Article
from knowledge.rendering import render_markdown


class ArticleForm(forms.ModelForm):
    tag_list = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Comma-separated, e.g. password, sign-in"), max_length=1000
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "content", "category", "tag_list", "language", "status", "author"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = gettext("Leave empty to make one from the title.")
        if self.instance.pk:
            self.fields["tag_list"].initial = ", ".join(self.instance.tags)

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug", "")
        if slug and Article.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(gettext("Another article has this slug."))
        return slug


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = [
        "title",
        "category",
        "language",
        "status",
        "published_at",
        "view_count",
        "helpful_yes",
        "helpful_no",
    ]
    list_filter = ["status", "language", "category"]
    search_fields = ["title", "tags_text", "content"]
    date_hierarchy = "published_at"
    list_select_related = ["category"]
    readonly_fields = ["preview", "published_at", "view_count", "helpful_yes", "helpful_no"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "tag_list", "language", "status", "author"]}),
        (_("Content (Markdown)"), {"fields": ["content"]}),
        (_("Preview, as customers see it"), {"fields": ["preview"]}),
        # Translators: the admin section with an article's publication date, views and votes.
        (_("Numbers"), {"fields": ["published_at", "view_count", "helpful_yes", "helpful_no"]}),
    ]

    # Translators: the admin field that shows an article rendered as HTML.
    @admin.display(description=_("Rendered"))
    def preview(self, article: Article) -> str:
        if not article.pk:
            return gettext("Save the article to see the preview.")
        return format_html(
            '<div class="kb-preview" style="max-width: 45rem">{}</div>', render_markdown(article.content)
        )

    def save_model(self, request, obj, form, change) -> None:
        tags = [tag for tag in form.cleaned_data.get("tag_list", "").split(",") if tag.strip()]
        fields = {
            name: form.cleaned_data[name] for name in ("title", "content", "category", "language", "status", "author")
        }
        if change:
            services.article_update(
                article=obj, tags=tags, slug=obj.slug or services.unique_slug(obj.title, exclude_pk=obj.pk), **fields
            )
        else:
            created = services.article_create(tags=tags, slug=form.cleaned_data.get("slug", ""), **fields)
            obj.pk = created.pk
            obj.refresh_from_db()

    def delete_model(self, request, obj) -> None:
        services.article_delete(article=obj)


@admin.register(FAQ)
class FAQAdmin(admin.ModelAdmin):
    list_display = ["question", "category", "priority", "published"]
    list_filter = ["published", "category"]
    list_editable = ["priority", "published"]
    search_fields = ["question", "answer"]
    readonly_fields = ["preview"]

    @admin.display(description=_("Answer as customers see it"))
    def preview(self, faq: FAQ) -> str:
        return render_markdown(faq.answer) if faq.pk else gettext("Save to see the preview.")

    def save_model(self, request, obj, form, change) -> None:
        services.faq_save(faq=obj)

    def delete_model(self, request, obj) -> None:
        services.faq_delete(faq=obj)
