from django.urls import URLPattern, URLResolver

app_name = "risk-public"

# Public pages without login: the risk map, the list of medium- and high-risk areas, place
# search, JSON and CSV downloads (views/public.py; decision 1130). Nothing personal, ever.
urlpatterns: list[URLPattern | URLResolver] = []
