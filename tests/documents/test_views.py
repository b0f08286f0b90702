"""Portal pages: who sees what, search, upload, and safe rendering of text."""

from __future__ import annotations

import re

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.dispatch import Signal
from django.urls import reverse

from docsite.documents import services, views
from docsite.documents.models import Document, DocumentUpload
from docsite.documents.panels import Panel
from docsite.documents.templatetags.documents_extras import doctype_label
from docsite.documents.uploads import upload_process

pytestmark = pytest.mark.django_db


def _create(space, title: str, text: str, **kwargs) -> Document:
    return services.document_create_from_text(
        space=space, title=title, text=text, **kwargs
    ).document


def _html(response) -> str:
    return response.content.decode()


def _listed_titles(response) -> list[str]:
    return [doc.title for doc in response.context["page"].object_list]


@pytest.fixture
def eng_doc(world) -> Document:
    return _create(
        world.engineering,
        "Deploy guide",
        "Run the migrations, then restart the web workers.",
    )


# --- Access -----------------------------------------------------------------


def test_anonymous_user_is_redirected_to_login_on_every_page(client, eng_doc):
    """GIVEN no session WHEN any portal page is requested THEN it redirects to login."""
    urls = [
        reverse("documents:home"),
        reverse("documents:spaces"),
        reverse("documents:space", kwargs={"space_slug": "engineering"}),
        reverse("documents:list"),
        reverse("documents:list") + "?q=deploy",
        reverse("documents:upload"),
        reverse("documents:detail", kwargs={"document_id": eng_doc.pk}),
        reverse("documents:download", kwargs={"document_id": eng_doc.pk}),
    ]
    login_url = reverse("login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{login_url}?next="), url


def test_login_page_renders_form_and_shows_error_for_bad_password(client, world):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = _html(response)
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "csrfmiddlewaretoken" in html

    response = client.post(
        reverse("login"), {"username": "alice", "password": "wrong password"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in _html(response)


def test_login_with_correct_password_lands_on_home(client, world):
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response.url == reverse("documents:home")


def test_alice_sees_her_spaces_but_not_hr_on_home_and_spaces_pages(client, world):
    _create(world.hr, "Salary bands", "Confidential pay ranges for every level.")
    _create(world.engineering, "Deploy guide", "Restart the web workers.")
    client.force_login(world.alice)

    for name in ("documents:home", "documents:spaces"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        html = _html(response)
        assert "Engineering" in html, name
        assert "Handbook" in html, name
        assert "People &amp; HR" not in html, name
        assert "/spaces/hr/" not in html, name
        assert "Salary bands" not in html, name

    home = _html(client.get(reverse("documents:home")))
    assert "Your spaces" in home
    assert "New in your spaces" in home
    assert "Deploy guide" in home


def test_home_shows_document_counts_per_space(client, world):
    _create(world.engineering, "One", "First engineering note.")
    _create(world.engineering, "Two", "Second engineering note.")
    client.force_login(world.alice)

    html = _html(client.get(reverse("documents:spaces")))
    assert "2 documents" in html
    assert "0 documents" in html  # the handbook is still empty


def test_home_empty_state_tells_the_user_what_to_do(client, world):
    world.handbook.delete()
    client.force_login(world.carol)

    response = client.get(reverse("documents:home"))

    assert response.status_code == 200
    assert "upload one or ask an admin for access" in _html(response)


def test_bob_gets_404_not_403_for_engineering_document_and_space(
    client, world, eng_doc
):
    client.force_login(world.bob)

    detail = client.get(reverse("documents:detail", kwargs={"document_id": eng_doc.pk}))
    download = client.get(
        reverse("documents:download", kwargs={"document_id": eng_doc.pk})
    )
    space = client.get(reverse("documents:space", kwargs={"space_slug": "engineering"}))

    assert detail.status_code == 404
    assert download.status_code == 404
    assert space.status_code == 404
    for response in (detail, download, space):
        assert b"Deploy guide" not in response.content


def test_alice_can_open_and_download_her_document(client, world, eng_doc):
    client.force_login(world.alice)

    detail = client.get(reverse("documents:detail", kwargs={"document_id": eng_doc.pk}))
    assert detail.status_code == 200
    html = _html(detail)
    assert "Deploy guide" in html
    assert "Run the migrations, then restart the web workers." in html
    download_url = reverse("documents:download", kwargs={"document_id": eng_doc.pk})
    assert f'href="{download_url}"' in html

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == eng_doc.text.encode()


def test_staff_sees_admin_link_and_others_do_not(client, world):
    client.force_login(world.alice)
    assert 'href="/admin/"' not in _html(client.get(reverse("documents:home")))

    world.alice.is_staff = True
    world.alice.save(update_fields=["is_staff"])
    assert 'href="/admin/"' in _html(client.get(reverse("documents:home")))


def test_logout_is_a_post_form_with_csrf(client, world):
    client.force_login(world.alice)

    html = _html(client.get(reverse("documents:home")))

    match = re.search(
        r'<form method="post" action="'
        + re.escape(reverse("logout"))
        + r'">(.*?)</form>',
        html,
        re.S,
    )
    assert match is not None
    assert "csrfmiddlewaretoken" in match.group(1)


# --- Search and listing -------------------------------------------------------


def test_search_finds_document_by_word_in_text(client, world):
    _create(
        world.engineering,
        "Onboarding checklist",
        "Order a laptop, create the accounts and request cluster access.",
    )
    _create(world.engineering, "Deploy guide", "Restart the web workers.")
    client.force_login(world.alice)

    response = client.get(reverse("documents:list"), {"q": "laptop"})

    assert response.status_code == 200
    assert _listed_titles(response) == ["Onboarding checklist"]
    assert "Onboarding checklist" in _html(response)


def test_search_ranks_title_match_first(client, world):
    # The title match is created first, so it is the older one: only ranking
    # can put it on top.
    _create(
        world.engineering, "Kubernetes upgrade runbook", "Drain the nodes one by one."
    )
    _create(
        world.engineering,
        "Onboarding checklist",
        "Ask for kubernetes access on the first day.",
    )
    client.force_login(world.alice)

    response = client.get(reverse("documents:list"), {"q": "kubernetes"})

    assert _listed_titles(response) == [
        "Kubernetes upgrade runbook",
        "Onboarding checklist",
    ]
    html = _html(response)
    assert html.index("Kubernetes upgrade runbook") < html.index("Onboarding checklist")
    assert "2 results for “kubernetes”" in html


def test_search_never_returns_a_hidden_document(client, world):
    _create(world.hr, "Kubernetes salary bands", "kubernetes kubernetes kubernetes")
    _create(
        world.engineering, "Cluster notes", "Our kubernetes cluster has three nodes."
    )
    client.force_login(world.alice)

    # Keyword search ranks partial matches: alice gets her one document
    # holding a word of the query, never the hidden one holding both.
    response = client.get(reverse("documents:list"), {"q": "kubernetes salary"})
    assert _listed_titles(response) == ["Cluster notes"]
    assert "salary bands" not in _html(response).lower()

    response = client.get(reverse("documents:list"), {"q": "kubernetes"})
    assert _listed_titles(response) == ["Cluster notes"]
    assert "salary bands" not in _html(response).lower()

    # The hr document does match: bob, who may read hr, finds it.
    client.force_login(world.bob)
    response = client.get(reverse("documents:list"), {"q": "kubernetes salary"})
    assert _listed_titles(response)[0] == "Kubernetes salary bands"


def test_search_in_a_space_keeps_to_that_space(client, world):
    _create(
        world.engineering, "Cluster notes", "Our kubernetes cluster has three nodes."
    )
    _create(world.handbook, "Tooling overview", "We use kubernetes for services.")
    client.force_login(world.alice)

    response = client.get(
        reverse("documents:space", kwargs={"space_slug": "handbook"}),
        {"q": "kubernetes"},
    )

    assert _listed_titles(response) == ["Tooling overview"]


def test_search_without_results_shows_empty_state_with_escaped_query(client, world):
    client.force_login(world.alice)

    response = client.get(reverse("documents:list"), {"q": "<i>zebra</i>"})

    html = _html(response)
    assert "No documents match “&lt;i&gt;zebra&lt;/i&gt;”" in html
    assert "<i>zebra</i>" not in html


def test_list_shows_space_type_label_and_links_to_detail(client, world):
    doc = _create(
        world.engineering,
        "Release notes",
        "# Release notes\n\nShipped.",
        filename="r.md",
    )
    client.force_login(world.alice)

    html = _html(client.get(reverse("documents:list")))

    assert (
        f'href="{reverse("documents:detail", kwargs={"document_id": doc.pk})}"' in html
    )
    assert "Engineering" in html
    assert '<span class="badge">Markdown</span>' in html


def test_pagination_links_keep_the_query(client, world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(3):
        _create(world.engineering, f"Widget note {n}", f"widget number {n} of three")
    client.force_login(world.alice)

    first = client.get(reverse("documents:list"), {"q": "widget"})
    assert len(_listed_titles(first)) == 2
    assert "?q=widget&amp;page=2" in _html(first)

    second = client.get(reverse("documents:list"), {"q": "widget", "page": 2})
    assert len(_listed_titles(second)) == 1
    assert "?q=widget&amp;page=1" in _html(second)


# --- Upload -------------------------------------------------------------------


def test_upload_page_renders_form_for_an_editor(client, world):
    client.force_login(world.alice)

    response = client.get(reverse("documents:upload"))

    assert response.status_code == 200
    html = _html(response)
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'type="file"' in html
    assert 'name="space"' in html
    # alice may add only to engineering, not to the public handbook.
    assert f'value="{world.engineering.pk}"' in html
    assert f'value="{world.handbook.pk}"' not in html


def test_upload_of_markdown_creates_document_and_shows_its_text(client, world):
    client.force_login(world.alice)
    upload = SimpleUploadedFile(
        "release-notes.md",
        b"# Release notes\n\nThe **frobnicator** ships today.\n",
        content_type="text/markdown",
    )

    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "title": "", "file": upload},
    )

    upload = DocumentUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(
        "documents:upload-status", kwargs={"upload_id": upload.pk}
    )
    assert "Processing" in _html(client.get(response.url))
    assert not Document.objects.exists()

    upload_process(upload_id=upload.pk)  # the worker's part

    status = _html(client.get(response.url))
    document = Document.objects.get()
    assert document.space == world.engineering
    assert document.created_by == world.alice
    assert "was added" in status
    detail_url = reverse("documents:detail", kwargs={"document_id": document.pk})
    assert detail_url in status
    html = _html(client.get(detail_url))
    assert "frobnicator" in html
    assert "Markdown" in html


def test_upload_of_empty_file_shows_error_and_creates_nothing(client, world):
    client.force_login(world.alice)
    upload = SimpleUploadedFile("empty.md", b"", content_type="text/markdown")

    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "title": "", "file": upload},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    html = _html(response)
    assert 'id="id_file_error"' in html
    assert "empty.md is empty." in html
    assert not Document.objects.exists()


def test_upload_rejected_by_the_service_shows_its_message_on_the_file_field(
    client, world
):
    client.force_login(world.alice)
    upload = SimpleUploadedFile(
        "tool.exe", b"MZ\x90\x00binary", content_type="application/octet-stream"
    )

    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "title": "", "file": upload},
    )

    assert response.status_code == 200
    [message] = response.context["form"].errors["file"]
    assert message
    html = _html(response)
    assert 'id="id_file_error"' in html
    assert 'aria-invalid="true"' in html
    assert not Document.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_upload_is_forbidden_without_an_editor_group(client, world, method):
    client.force_login(world.bob)

    response = getattr(client, method)(reverse("documents:upload"))

    assert response.status_code == 403
    assert "ask an administrator to add you to a space's editor group" in _html(
        response
    ).replace("&#x27;", "'")
    assert not Document.objects.exists()


# --- Detail page rendering ----------------------------------------------------


def test_html_document_renders_without_script_or_javascript_urls(client, world):
    source = (
        "<html><head><title>Evil page</title></head><body>"
        "<h1>Welcome</h1>"
        "<script>alert(1)</script>"
        '<p>Hello <a href="javascript:alert(1)">click me</a></p>'
        '<img src="x" onerror="alert(2)">'
        "</body></html>"
    )
    doc = _create(world.engineering, "Evil page", source, filename="evil.html")
    client.force_login(world.alice)

    response = client.get(reverse("documents:detail", kwargs={"document_id": doc.pk}))

    assert response.status_code == 200
    html = _html(response)
    assert '<div class="rendered">' in html  # the parser's cleaned HTML is shown
    assert "click me" in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_plain_text_is_escaped_and_keeps_its_line_breaks(client, world):
    doc = _create(
        world.engineering, "Markup sample", "Use <b>x</b> for bold.\nNext line."
    )
    # A document parsed before parsers emitted blocks is shown as its text.
    Document.objects.filter(pk=doc.pk).update(blocks=[])
    client.force_login(world.alice)

    response = client.get(reverse("documents:detail", kwargs={"document_id": doc.pk}))

    html = _html(response)
    assert '<div class="plain-text">' in html
    assert "Use &lt;b&gt;x&lt;/b&gt; for bold.\nNext line." in html
    assert "<b>x</b>" not in html


def test_title_is_escaped_everywhere(client, world):
    doc = _create(world.engineering, "<i>Slanted</i> title", "Some body text here.")
    client.force_login(world.alice)

    for url in (
        reverse("documents:detail", kwargs={"document_id": doc.pk}),
        reverse("documents:list"),
        reverse("documents:home"),
    ):
        html = _html(client.get(url))
        assert "&lt;i&gt;Slanted&lt;/i&gt; title" in html, url
        assert "<i>Slanted</i>" not in html, url


def test_detail_shows_analyzing_until_analysis_has_run(client, world, eng_doc):
    client.force_login(world.alice)
    url = reverse("documents:detail", kwargs={"document_id": eng_doc.pk})

    html = _html(client.get(url))
    assert "Analyzing…" in html
    assert "detecting…" in html

    services.document_analyze(document_id=eng_doc.pk)

    html = _html(client.get(url))
    assert "Analyzing…" not in html
    assert "detecting…" not in html
    assert "Analyzed" in html
    assert "<dd>en</dd>" in html


@pytest.fixture
def panels_signal(monkeypatch):
    """A panel signal with no installed app listening, so the core is tested alone."""
    signal = Signal()
    monkeypatch.setattr("docsite.documents.panels.document_panels", signal)
    return signal


def test_detail_shows_summary_placeholder_without_panels(
    client, world, eng_doc, panels_signal
):
    client.force_login(world.alice)

    html = _html(
        client.get(reverse("documents:detail", kwargs={"document_id": eng_doc.pk}))
    )

    assert "Summary" in html
    assert "No summary yet." in html


def test_detail_renders_panels_from_apps_in_order(
    client, world, eng_doc, panels_signal
):
    def related_panel(sender, document, request, **kwargs):
        return Panel(
            slug="related",
            title="Related",
            html="<p>See also</p>",
            order=200,
            after_text=True,
        )

    def late_panel(sender, document, request, **kwargs):
        return Panel(slug="notes", title="Notes", html="<p>Late</p>", order=50)

    def early_panel(sender, document, request, **kwargs):
        return Panel(
            slug="key-points",
            title="Key points",
            html="<ul><li>Fish &amp; chips</li></ul>",
            order=10,
        )

    def broken_panel(sender, document, request, **kwargs):
        raise RuntimeError("a plugin bug must not break the page")

    for receiver in (related_panel, late_panel, early_panel, broken_panel):
        panels_signal.connect(receiver)
    client.force_login(world.alice)
    html = _html(
        client.get(reverse("documents:detail", kwargs={"document_id": eng_doc.pk}))
    )

    assert "No summary yet." not in html
    assert "<ul><li>Fish &amp; chips</li></ul>" in html
    assert (
        html.index("Key points") < html.index("Notes") < html.index(eng_doc.text[:20])
    )
    assert html.index(eng_doc.text[:20]) < html.index("<p>See also</p>")


# --- Template filter ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mime_type", "label"),
    [
        ("text/plain", "Text"),
        ("text/plain; charset=utf-8", "Text"),
        ("text/markdown", "Markdown"),
        ("text/html", "HTML"),
        ("application/pdf", "PDF"),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word",
        ),
        ("text/csv", "CSV"),
        ("application/vnd.oasis.opendocument.text", "File"),
        ("", "File"),
        (None, "File"),
    ],
)
def test_doctype_label(mime_type, label):
    assert doctype_label(mime_type) == label


def test_document_admin_shows_staff_only_documents_of_spaces_they_can_read(
    client, world
):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    _create(world.engineering, "Engineering secret plan", "Only engineers read this.")
    _create(world.hr, "Salary bands", "Only HR reads this.")
    staff = UserFactory(
        username="stan", is_staff=True, groups=[world.engineering.viewer_groups.get()]
    )
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_document", "view_space"])
    )
    client.force_login(staff)

    documents = client.get(
        reverse("admin:documents_document_changelist")
    ).content.decode()
    spaces = client.get(reverse("admin:documents_space_changelist")).content.decode()

    assert "Engineering secret plan" in documents and "Salary bands" not in documents
    assert "People &amp; HR" not in spaces and "Engineering" in spaces
