from django.urls import path

from shouwang.core import views

app_name = "core"

urlpatterns = [
    path("", views.audit_list, name="audit-list"),
    path("<int:event_id>/", views.audit_detail, name="audit-detail"),
]
