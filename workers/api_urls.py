"""Routes of the jobs API, included under ``/api/v1/`` by ``docsite.api_urls``."""

from django.urls import path

from . import apis

urlpatterns = [
    path("jobs/", apis.JobListStartApi.as_view(), name="job-list"),
    path("jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/pause/", apis.JobPauseApi.as_view(), name="job-pause"),
    path("jobs/<int:job_id>/resume/", apis.JobResumeApi.as_view(), name="job-resume"),
    path("jobs/<int:job_id>/cancel/", apis.JobCancelApi.as_view(), name="job-cancel"),
]
