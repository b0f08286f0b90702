"""The README stands alone: no path outside the repository, its links and the
data its commands name exist, and its two commands are still there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_no_document_sends_readers_outside_the_repository():
    for path in DOCS:
        text = path.read_text()
        assert "../shared" not in text and "/work/" not in text, path.name


def test_links_and_named_data_exist():
    for path in DOCS:
        text = path.read_text()
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (path.parent / target).exists(), f"{path.name} links to {target}"
        for data in re.findall(r"--data (\S+)", text):
            if data.startswith("bench/"):
                assert (ROOT / data).exists(), f"{path.name} names {data}"


def test_the_two_commands_and_the_demo_port_are_documented():
    readme = (ROOT / "README.md").read_text()
    assert "bash .ci/demo" in readme and "bash .ci/test" in readme
    assert "DOCSITE_DEMO_PORT" in readme
