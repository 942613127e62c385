from django.urls import path

from portal import views as portal

app_name = "portal"

urlpatterns = [
    path("tickets/new", portal.ticket_new, name="ticket-new"),
    path("tickets/lookup", portal.lookup, name="lookup"),
    path("tickets/<str:token>/submitted", portal.ticket_submitted, name="submitted"),
    path("tickets/<str:token>/", portal.ticket_detail, name="ticket"),
    path("tickets/<str:token>/messages/<int:message_id>/rate", portal.message_rate, name="rate"),
    path("tickets/<str:token>/attachments/<int:attachment_id>", portal.attachment_download, name="attachment"),
]
