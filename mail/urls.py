from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("<int:pk>/original", views.original, name="original"),
]
