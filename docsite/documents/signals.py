"""Events the core sends to the apps above it.

Every signal is sent after the transaction that caused it commits, with IDs
only, so receivers can enqueue tasks that will find the rows.
"""

from django.dispatch import Signal

document_created = Signal()
"""A document was added. kwargs: ``document_id: int``, ``space_id: int``."""

document_text_changed = Signal()
"""A document's extracted text is new or different: sent on create and on
every update that changes ``content_sha256``.
kwargs: ``document_id: int``, ``content_sha256: str``."""

document_analyzed = Signal()
"""A document's current text was analyzed: its language is known.
kwargs: ``document_id: int``, ``language: str``."""

document_deleted = Signal()
"""A document was removed. kwargs: ``document_id: int``, ``space_id: int``."""

document_panels = Signal()
"""Collecting signal: the detail page asks apps for panels to show.

Sent while rendering with ``document`` and ``request``. A receiver returns
``None`` or a ``docsite.documents.panels.Panel``; panels are shown in order
of their ``order``. The receiver must only show what ``request.user`` may see.
"""

document_history = Signal()
"""Collecting signal: the history page asks apps for their versions of a document.

Sent while rendering with ``document`` and ``request``; a receiver returns
``None`` or a ``Panel`` (e.g. the summaries app lists every summary version).
"""

document_snippets = Signal()
"""Collecting signal: lists ask apps for a short text to show under each title.

Sent with ``document_ids`` (documents the reader may see) and ``request``. A
receiver returns ``{document_id: plain text}``; the first non-empty text for a
document is shown (escaped).
"""

portal_home_sections = Signal()
"""Collecting signal: the home page asks apps for sections to show.

Sent while rendering with ``request``. A receiver returns ``None``, a
``docsite.documents.panels.Panel`` or a list of them; sections are shown in
order of their ``order``. The receiver must only show what ``request.user``
may see, and escape what it renders.
"""
