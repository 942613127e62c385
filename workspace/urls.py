from django.urls import path

from notifications import views as notification_views
from workspace import bulk, customers, dashboard, export, merging, new_ticket, people, presence, saved_views
from workspace import views as workspace

app_name = "agent"

urlpatterns = [
    path("", workspace.queue, name="queue"),
    path("views/counts", saved_views.saved_view_counts, name="saved-view-counts"),
    path("views/new", saved_views.saved_view_new, name="saved-view-new"),
    path("views/<int:pk>/edit", saved_views.saved_view_edit, name="saved-view-edit"),
    path("views/<int:pk>/delete", saved_views.saved_view_delete, name="saved-view-delete"),
    path("tickets/new", new_ticket.new_ticket, name="new-ticket"),
    path("tickets/new/customers", new_ticket.customer_choices, name="new-ticket-customers"),
    path("export.csv", export.queue_export, name="queue-export"),
    path("bulk", bulk.bulk_apply_view, name="bulk"),
    path("bulk/<int:pk>", bulk.bulk_job_view, name="bulk-job"),
    path("bulk/<int:pk>/resume", bulk.bulk_job_resume_view, name="bulk-resume"),
    path("tickets/<int:pk>", workspace.ticket_page, name="ticket"),
    path("tickets/<int:pk>/typing", presence.ticket_typing, name="typing"),
    path("tickets/<int:pk>/reply", workspace.ticket_reply, name="reply"),
    path("tickets/<int:pk>/change", workspace.ticket_change, name="change"),
    path("tickets/<int:pk>/customer", workspace.ticket_customer_view, name="ticket-customer"),
    path("tickets/<int:pk>/assign", workspace.ticket_assign_view, name="assign"),
    path("tickets/<int:pk>/activity", workspace.ticket_activity, name="activity"),
    path("tickets/<int:pk>/rotate-link", workspace.ticket_rotate_link_view, name="rotate-link"),
    path("tickets/<int:pk>/insert", workspace.ticket_insert, name="insert"),
    path("tickets/<int:pk>/macro-preview", workspace.macro_preview_view, name="macro-preview"),
    path("tickets/<int:pk>/macro-apply", workspace.macro_apply_view, name="macro-apply"),
    path("tickets/<int:pk>/cc", people.ticket_cc_add_view, name="cc"),
    path("tickets/<int:pk>/cc/<int:cc_id>/remove", people.ticket_cc_remove_view, name="cc-remove"),
    path("tickets/<int:pk>/follow", people.ticket_follow_view, name="follow"),
    path("tickets/<int:pk>/merge", merging.ticket_merge_view, name="merge"),
    path("tickets/<int:pk>/links", merging.ticket_link_add_view, name="link-add"),
    path("tickets/<int:pk>/links/<int:other>/remove", merging.ticket_link_remove_view, name="link-remove"),
    path("tickets/<int:pk>/messages/<int:message_id>/split", merging.message_split_view, name="split"),
    path("notifications/preferences", notification_views.notification_preferences, name="notifications-preferences"),
    path("notifications", notification_views.notification_list, name="notifications"),
    path("notifications/read", notification_views.notification_read, name="notifications-read"),
    path("dashboard", dashboard.dashboard, name="dashboard"),
    path("language", workspace.language_view, name="language"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:pk>/", customers.customer_page, name="customer"),
    path("customers/<int:pk>/edit", customers.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/merge", customers.customer_merge, name="customer-merge"),
    path("organizations/", customers.organization_list, name="organizations"),
    path("organizations/new", customers.organization_new, name="organization-new"),
    path("organizations/<int:pk>/", customers.organization_page, name="organization"),
    path("organizations/<int:pk>/edit", customers.organization_edit, name="organization-edit"),
    path("organizations/<int:pk>/delete", customers.organization_delete, name="organization-delete"),
]
