from django.urls import path

from docsite.ratelimit import ratelimit, user_or_ip

from . import apis, views

app_name = "interests"

urlpatterns = [
    path(
        "api/interactions/",
        # The reading beacon of the portal: the API's view, limited per
        # session user before DRF authenticates (counters shared with the API).
        ratelimit(scope="interactions", key=user_or_ip, methods=("POST", "DELETE"))(
            apis.InteractionListCreateApi.as_view(throttle_classes=[], schema=None)
        ),
        name="interaction-api",
    ),
    path("for-you/", views.feed_page, name="feed"),
    path("search/", views.search_page, name="search"),
    path("me/activity/", views.activity_page, name="activity"),
    path("me/bookmarks/", views.bookmarks_page, name="bookmarks"),
    path("me/interests/", views.interests_page, name="interests"),
    path("me/interests/reset/", views.interests_reset, name="interests-reset"),
]
