"""The project's URLs: the portal, the admin, the API and each app's pages.

Each business app that has a ``urls`` module is mounted at ``/<app>/`` (namespace = the
app), and one with an ``api_urls`` module under ``/api/v1/``; adding an app needs no edit here.
"""

from importlib.util import find_spec

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

admin.site.site_header = _("ecomops back office")
admin.site.site_title = _("ecomops admin")
admin.site.index_title = _("Management")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("ecomops.portal.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", include("ecomops.notifications.urls")),
    path("tasks/", include("ecomops.worktasks.urls")),
    path("staffing/", include("ecomops.staffing.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Redoc and its script come from this server (drf-spectacular-sidecar): no CDN, works offline.
    # Its bundle inserts <style> elements as it loads, before any nonce can reach it, and
    # searches in a worker it builds from a blob: on this page alone both are allowed
    # (scripts still need the nonce; its logo from cdn.redoc.ly stays blocked).
    path(
        "api/docs/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/docs.html")
        ),
        name="api-docs",
    ),
]

for app in settings.BUSINESS_APPS:
    if find_spec(f"{app}.urls"):
        urlpatterns.append(path(f"{app}/", include(f"{app}.urls")))
    if find_spec(f"{app}.api_urls"):
        urlpatterns.append(path("api/v1/", include(f"{app}.api_urls")))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
