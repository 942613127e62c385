from django.contrib import admin

from agents.models import Agent


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "role", "status", "max_tickets", "timezone"]
    list_filter = ["role", "status", "specializations"]
    search_fields = ["name", "email", "user__username"]
    filter_horizontal = ["specializations"]
    autocomplete_fields = ["user"]
