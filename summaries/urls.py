from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path(
        "documents/<int:document_id>/summary/",
        views.summary_panel_fragment,
        name="panel",
    ),
]
