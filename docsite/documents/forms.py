from __future__ import annotations

from django import forms

from .models import Space


class UploadForm(forms.Form):
    space = forms.ModelChoiceField(queryset=Space.objects.none(), empty_label=None)
    title = forms.CharField(
        max_length=300,
        required=False,
        help_text="Leave empty to use the file's own title.",
    )
    file = forms.FileField(help_text="Text, Markdown, HTML, PDF or Word (.docx).")

    def __init__(self, *args, spaces, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, label="Search")
