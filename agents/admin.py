from django import forms
from django.contrib import admin

from agents.models import Agent
from agents.services import AgentUserTaken, find_user, sync_staff_flag, user_for_agent


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = [
            "user",
            "name",
            "email",
            "role",
            "specializations",
            "timezone",
            "working_hours",
            "max_tickets",
            "status",
        ]
        help_texts = {"user": "Leave empty to link the user with this email, or create one."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].required = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and cleaned.get("email") and not self.instance.pk:
            existing = find_user(email=cleaned["email"])
            if existing is not None and Agent.objects.filter(user=existing).exists():
                self.add_error("user", f"User {existing.get_username()} with this email is already an agent.")
        return cleaned


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ["name", "email", "role", "status", "max_tickets", "timezone", "last_assigned_at"]
    list_filter = ["role", "status", "specializations"]
    search_fields = ["name", "email", "user__username"]
    filter_horizontal = ["specializations"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change) -> None:
        if not obj.user_id:
            try:
                obj.user = user_for_agent(email=obj.email, username=None, name=obj.name)
            except AgentUserTaken as error:  # checked in AgentForm.clean; a race lands here
                raise ValueError(str(error)) from error
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        sync_staff_flag(form.instance)
