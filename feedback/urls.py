from django.urls import path

from feedback import views

app_name = "survey"

urlpatterns = [
    path("survey/thanks", views.thanks, name="thanks"),
    path("survey/<str:token>", views.answer, name="answer"),
]
