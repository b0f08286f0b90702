"""The upload pages: files are received here and parsed by a worker; each
upload's status page (or its JSON) follows it to its document."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docsite.ratelimit import throttle

from . import selectors
from .exceptions import DocumentRejectedError
from .forms import UploadForm
from .models import DocumentUpload
from .uploads import upload_receive


def _upload_one(*, space, upload, user, title: str) -> dict:
    """Receive one file and say where it stands, for the per-file status list."""
    try:
        received = upload_receive(space=space, upload=upload, user=user, title=title)
    except DocumentRejectedError as exc:
        return {
            "name": upload.name or "upload",
            "status": "refused",
            "reason": str(exc),
        }
    return _upload_result(received)


def _upload_result(upload: DocumentUpload) -> dict:
    """An upload in the shape the upload page's script reads (see upload.js)."""
    result = {
        "id": upload.pk,
        "name": upload.filename,
        "status": upload.state,
        "status_url": reverse(
            "documents:upload-status", kwargs={"upload_id": upload.pk}
        ),
        "reason": upload.reason,
    }
    if upload.state == DocumentUpload.State.READY and upload.document_id:
        result.update(
            outcome=upload.outcome,
            title=upload.document.title if upload.document else upload.filename,
            url=reverse("documents:detail", kwargs={"document_id": upload.document_id}),
        )
        if upload.outcome == "unchanged":
            result["reason"] = "This space already holds a document with the same text."
    return result


@login_required
@require_http_methods(["GET", "POST"])
@throttle(scope="uploads")
def document_upload(request: HttpRequest) -> HttpResponse:
    """Upload one file (then show it), or several (then list each one's fate).

    Files are only received here; a worker parses each one, and its status
    page (``upload_status``) follows it. The page's script sends several
    files one request each, asking for JSON, and polls each status; without
    the script, one file leads to its status page and several are listed.
    """
    spaces = selectors.space_list_editable(user=request.user)
    if not spaces.exists():
        return render(request, "documents/upload.html", {"form": None}, status=403)
    form = UploadForm(request.POST or None, request.FILES or None, spaces=spaces)
    files = request.FILES.getlist("file")
    refusal = getattr(request, "upload_refusal", "")  # see uploadhandlers.py
    if refusal:
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"errors": {"file": [refusal]}}, status=400)
        form = UploadForm(request.POST, spaces=spaces)
        form.is_valid()
        form.errors["file"] = form.error_class([refusal])
        return render(request, "documents/upload.html", {"form": form}, status=400)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST" and form.is_valid() and not files:
        form.add_error("file", "Choose a file to upload.")
    if request.method == "POST" and form.is_valid():
        title = form.cleaned_data["title"] if len(files) == 1 else ""
        results = [
            _upload_one(
                space=form.cleaned_data["space"],
                upload=upload,
                user=request.user,
                title=title,
            )
            for upload in files
        ]
        if wants_json:
            return JsonResponse({"files": results})
        if len(results) == 1:
            result = results[0]
            if result["status"] == "refused":
                form.add_error("file", result["reason"])
            else:
                return redirect(result["status_url"])
        else:
            return render(
                request, "documents/upload.html", {"form": form, "results": results}
            )
    if wants_json and request.method == "POST":
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return render(request, "documents/upload.html", {"form": form})


@login_required
def upload_status(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Say where an upload stands: a page that refreshes itself, or JSON."""
    upload = selectors.upload_get_visible(user=request.user, upload_id=upload_id)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(_upload_result(upload))
    ready = upload.state == DocumentUpload.State.READY and upload.document_id
    if request.GET.get("open") and ready:
        # The page's script asks to go on to the document once it is read;
        # the document page then fills in its analysis and summary by itself.
        messages.success(request, _upload_outcome_message(upload))
        return redirect("documents:detail", document_id=upload.document_id)
    return render(request, "documents/upload_status.html", {"upload": upload})


def _upload_outcome_message(upload: DocumentUpload) -> str:
    if upload.outcome == "unchanged":
        return f"{upload.space.name} already holds a document with the same text."
    if upload.outcome == "updated":
        return "The document was updated."
    return f"“{upload.document.title}” was added to {upload.space.name}."
