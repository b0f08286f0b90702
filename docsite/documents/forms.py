from __future__ import annotations

from django import forms

from .models import Space
from .selectors import MAX_QUERY_CHARS


class UploadForm(forms.Form):
    space = forms.ModelChoiceField(queryset=Space.objects.none(), empty_label=None)
    title = forms.CharField(
        max_length=300,
        required=False,
        help_text="Leave empty to use the file's own title.",
    )
    # Empty files reach the parser, which refuses them in its own words.
    file = forms.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Text, Markdown, HTML, PDF or Word (.docx).",
    )

    def __init__(self, *args, spaces, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, label="Search")


class DocumentFilterForm(forms.Form):
    """The document list's search box and facets (space, type, date range)."""

    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, label="Search")
    space = forms.ChoiceField(required=False, label="Space")
    type = forms.ChoiceField(required=False, label="Type")
    updated_after = forms.DateField(
        required=False,
        label="Updated from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    updated_before = forms.DateField(
        required=False,
        label="Updated until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, spaces, type_choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "All spaces")] + [
            (space.slug, space.name) for space in spaces
        ]
        self.fields["type"].choices = [("", "All types"), *type_choices]

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("updated_after"), cleaned.get("updated_before")
        if after and before and after > before:
            self.add_error("updated_before", "Pick a date on or after the start date.")
        return cleaned


class DocumentEditForm(forms.Form):
    """Title, a replacement file and the space, for an editor of the document."""

    title = forms.CharField(max_length=300)
    file = forms.FileField(
        required=False,
        label="Replace the file",
        help_text="Optional. The new file's text replaces the current one; "
        "the title stays as typed above.",
    )
    space = forms.ModelChoiceField(
        queryset=Space.objects.none(),
        empty_label=None,
        help_text="Move the document to another space you may edit.",
    )

    def __init__(self, *args, spaces, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces
