from django.contrib.auth import views as auth_views
from django.urls import path

from shouwang.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.ShouwangLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("otp/", views.otp_verify, name="otp"),
    path("otp/enrol/", views.otp_enrol, name="otp-enrol"),
    path("me/", views.account, name="account"),
    path("me/tokens/", views.account_token_create, name="token-create"),
    path("me/tokens/<int:token_id>/revoke/", views.account_token_revoke, name="token-revoke"),
    path("me/password/", views.account_password, name="password"),
    path("me/otp/remove/", views.account_otp_remove, name="otp-remove"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:user_id>/", views.user_detail, name="user-detail"),
    path("users/<int:user_id>/active/", views.user_set_active, name="user-active"),
    path("users/<int:user_id>/password/", views.user_password, name="user-password"),
    path("users/<int:user_id>/otp-reset/", views.user_otp_reset, name="user-otp-reset"),
]
