from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kefu.chat.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:desk", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("kefu.web.urls")),
    path("", include("kefu.coach.urls")),
    path("", include("kefu.web.customer_urls")),
    path("", include("kefu.web.segment_urls")),
    path("", include("kefu.web.order_urls")),
]
