from django.urls import URLPattern, URLResolver

app_name = "surveillance"

# Each sub-area of surveillance (cases, labs, imports, counts) adds its pages here.
urlpatterns: list[URLPattern | URLResolver] = []
