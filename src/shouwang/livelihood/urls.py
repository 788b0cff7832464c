from django.urls import URLPattern, URLResolver

app_name = "livelihood"

# Each part of the livelihood app appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []
