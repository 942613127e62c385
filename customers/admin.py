from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "vip", "domain_list", "created_at"]
    list_filter = ["vip"]
    search_fields = ["name", "domains"]

    @admin.display(description=_("email domains"))
    def domain_list(self, organization: Organization) -> str:
        return ", ".join(organization.domains)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organization", "language", "bouncing", "created_at"]
    list_filter = ["bouncing", "language", "organization__vip"]
    search_fields = ["email", "name", "aliases"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    # The address keys the profile (and its tickets); merging two is the workspace's and the
    # API's job (customers.services.customer_merge), which keeps the old address as an alias.
    readonly_fields = ["email", "aliases", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # profiles are made on first contact (customers.services.customer_for_contact)
