from django.urls import path

from shouwang.geo import views

app_name = "geo"

urlpatterns = [
    path("", views.index, name="index"),
]
