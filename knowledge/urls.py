from django.urls import path

from knowledge import views

app_name = "kb"

urlpatterns = [
    path("kb/", views.kb_index, name="index"),
    path("kb/suggest", views.suggest, name="suggest"),
    path("kb/<str:slug>", views.article_detail, name="article"),
    path("kb/<str:slug>/helpful", views.article_helpful, name="helpful"),
    path("faq/", views.faq_list, name="faq"),
]
