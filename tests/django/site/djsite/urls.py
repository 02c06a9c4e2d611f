"""The test project's URLs."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.index),
    path("reasons", views.reasons),
    path("async", views.async_view),
    path("forbidden", views.forbidden),
    path("boom", views.boom),
    path("submit", views.submit),
    path("stream", views.stream),
    path("async-stream", views.async_stream),
    path("partner", views.partner),
    path("partner-class", views.PartnerView.as_view()),
    path("passthrough", views.passthrough),
    path("blocked", views.index),
    path("items/1", views.upstream),
    re_path(r"^(?P<rest>(?:public|partner-api|outside|api)/.*)$", views.anything),
]

handler404 = "djsite.views.custom_not_found"
