from django.urls import path

from shouwang.geo import views

app_name = "geo"

urlpatterns = [
    path("", views.index, name="index"),
    path("vendor/plotly.min.js", views.plotly_js, name="plotly-js"),
    path("<str:code>/", views.division, name="division"),
]
