from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from docsite.documents.views import favicon
from docsite.health import healthz

admin.site.site_header = "docsite administration"
admin.site.site_title = "docsite admin"
admin.site.index_title = "Spaces, documents, summaries and workers"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("docsite.api_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("docsite.documents.urls")),
    path("", include("summaries.urls")),
    path("", include("interests.urls")),
]
