from django.urls import path

from . import apis, views

app_name = "interests"

urlpatterns = [
    path(
        "api/interactions/",
        # The reading beacon and toggles of the portal: the API's view, with
        # its throttle (one budget per reader whichever route).
        apis.InteractionListCreateApi.as_view(schema=None),
        name="interaction-api",
    ),
    path("for-you/", views.feed_page, name="feed"),
    path("search/", views.search_page, name="search"),
    path("me/activity/", views.activity_page, name="activity"),
    path("me/bookmarks/", views.bookmarks_page, name="bookmarks"),
    path("me/interests/", views.interests_page, name="interests"),
    path("me/interests/reset/", views.interests_reset, name="interests-reset"),
]
