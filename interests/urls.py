from django.urls import path

from docsite.ratelimit import ratelimit, user_or_ip

from . import views

app_name = "interests"

urlpatterns = [
    path(
        "api/interactions/",
        ratelimit(scope="interactions", key=user_or_ip)(views.interaction_create_api),
        name="interaction-api",
    ),
    path("for-you/", views.feed_page, name="feed"),
    path("search/", views.search_page, name="search"),
]
