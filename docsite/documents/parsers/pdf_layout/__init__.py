"""Reflow the text of PDF pages into blocks.

A PDF holds positioned runs of text, not paragraphs. pypdf reports each run
with its position, font and size (``extract_text``'s ``visitor_text``);
from those this module:

1. groups runs into lines, splitting a line into cells where a wide gap
   separates two runs (table columns);
2. drops running headers and footers (lines at the top or bottom of pages
   whose text, digits aside, repeats on at least half of the pages) and page
   numbers;
3. classifies lines: headings are larger than the body text, or bold, short
   and unpunctuated; list items start with a bullet or a number; runs of
   lines with two or more aligned cells are tables; monospaced lines are
   code;
4. joins the lines of a paragraph (hard line breaks become spaces, words
   hyphenated at a line end are rejoined unless the hyphen is real), across
   page breaks too when a sentence runs on; a paragraph ends at a wider
   vertical gap, an indented first line, or a short line ending a sentence.
"""

from docsite.documents.parsers.pdf_layout.blocks import blocks_from_lines
from docsite.documents.parsers.pdf_layout.lines import Line, Run, lines_from_runs
from docsite.documents.parsers.pdf_layout.running import drop_running_lines

__all__ = ["Line", "Run", "blocks_from_lines", "drop_running_lines", "lines_from_runs"]
