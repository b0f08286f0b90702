"""A seeded generator of hostile files: damaged PDFs and DOCX, zip and entity bombs, script-laden HTML and Markdown, bad encodings."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator

import docx
from fpdf import FPDF

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x OnErRoR=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    '<body onload="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x61;script:alert(1)">click</a>',
    '<a href="jav&#9;ascript:alert(1)">click</a>',
    '<a href="java\nscript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<svg><script href="data:,alert(1)"/></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<div style="width: expression(alert(1))">x</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example"><button formaction="javascript:alert(1)">go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    '<a href="#" onclick="alert(1)">x</a>',
    '<p onmouseover="alert(1)">hover</p>',
    '<video><source onerror="alert(1)"></video>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '"><script>alert(1)</script>',
    "'';!--\"<XSS>=&{()}",
]
MARKDOWN_PAYLOADS = [
    "[click](javascript:alert(1))",
    "[click]( javascript:alert(1) )",
    "![img](javascript:alert(1))",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    '[a](https://ok.example "title" onclick="alert(1)")',
]
TAGS = ["div", "span", "p", "b", "i", "ul", "li", "table", "tr", "td", "blockquote"]
WORDS = [
    "the",
    "policy",
    "budget",
    "payroll",
    "holiday",
    "roadmap",
    "security",
    "laptop",
    "review",
]


# --- base files -------------------------------------------------------------------


def _pdf(text: str, *, pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_title("Quarterly <script>alert(1)</script> review")
    pdf.set_font("helvetica", size=12)
    for page in range(pages):
        pdf.add_page()
        pdf.multi_cell(w=0, text=f"{text} page {page}")
    return bytes(pdf.output())


def _docx(paragraphs: list[str], *, title: str = "") -> bytes:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading("Report <img src=x onerror=alert(1)>", level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "<script>alert(1)</script>"
    table.cell(0, 1).text = "javascript:alert(1)"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes], *, level: int = 6) -> bytes:
    """Return the DOCX ``data`` with some members replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


def _zip_bomb(base: bytes, *, many_members: bool) -> bytes:
    """Return ``base`` with a document part (or 12 media parts) unpacking to ~300 MB."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            if many_members or info.filename != "word/document.xml":
                target.writestr(info.filename, source.read(info.filename))
        names = (
            [f"word/media/pad{i}.bin" for i in range(12)]
            if many_members
            else ["word/document.xml"]
        )
        chunk = b" " * (1024 * 1024)
        for name in names:
            with target.open(name, "w", force_zip64=True) as member:
                if not many_members:
                    member.write(_document_xml(_paragraph("bomb"))[:-30])
                for _ in range(25 if many_members else 300):
                    member.write(chunk)
                if not many_members:
                    member.write(b"</w:body></w:document>")
    return out.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _document_xml(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<w:document {_W}><w:body>{body}</w:body></w:document>"
    ).encode()


def _paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


# --- mutations ----------------------------------------------------------------------


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def _bit_flip(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.choice([1, 2, 8, 64])):
        position = rng.randrange(len(buffer))
        buffer[position] ^= 1 << rng.randrange(8)
    return bytes(buffer)


def _byte_splice(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randrange(1, 512))
    choice = rng.randrange(3)
    if choice == 0:  # delete a run
        return data[:start] + data[end:]
    if choice == 1:  # duplicate a run
        return data[:end] + data[start:end] + data[end:]
    return data[:start] + rng.randbytes(end - start) + data[end:]  # overwrite


MUTATIONS = [_truncate, _bit_flip, _byte_splice]


# --- the generator --------------------------------------------------------------------


Case = tuple[str, str, bytes]  # (family, filename, content)


class HostileFiles:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pdfs = [
            _pdf("Budget review " + " ".join(PAYLOADS[:5])),
            _pdf("Holiday <a href='javascript:x'>policy</a>", pages=3),
        ]
        self.docx = [
            _docx([*PAYLOADS[:12]], title="<script>alert(1)</script>"),
            _docx(["Plain paragraph about payroll."] * 20),
        ]
        self.families: list[Callable[[], Case]] = [
            self.corrupt_pdf,
            self.corrupt_docx,
            self.docx_bomb,
            self.docx_hostile_xml,
            self.nested_html,
            self.payload_html,
            self.payload_markdown,
            self.payload_text,
            self.huge_line,
            self.nul_bytes,
            self.bad_unicode,
            self.wrong_extension,
            self.random_bytes,
            self.degenerate,
        ]
        self._bombs: dict[int, bytes] = {}

    def __iter__(self) -> Iterator[Case]:
        return self

    def __next__(self) -> Case:
        return self.rng.choice(self.families)()

    # Each family returns (family, filename, content).

    def corrupt_pdf(self) -> Case:
        data = self.rng.choice(self.pdfs)
        mutate = self.rng.choice(MUTATIONS)
        return f"pdf/{mutate.__name__}", self._name(".pdf"), mutate(self.rng, data)

    def corrupt_docx(self) -> Case:
        data = self.rng.choice(self.docx)
        mutate = self.rng.choice(MUTATIONS)
        return f"docx/{mutate.__name__}", self._name(".docx"), mutate(self.rng, data)

    def docx_bomb(self) -> Case:
        kind = self.rng.randrange(3)
        if kind < 2:
            if kind not in self._bombs:  # built once: compressing takes a while
                self._bombs[kind] = _zip_bomb(self.docx[1], many_members=kind == 1)
            family = "docx/many-members" if kind else "docx/zip-bomb"
            return family, self._name(".docx"), self._bombs[kind]
        # Declared sizes that lie: patch the central directory's size fields.
        data = bytearray(self.docx[self.rng.randrange(2)])
        for match in re.finditer(rb"PK\x01\x02", bytes(data)):
            offset = match.start() + 24  # uncompressed size
            data[offset : offset + 4] = self.rng.choice(
                [b"\xff\xff\xff\x7f", b"\x01\0\0\0"]
            )
        return "docx/lying-sizes", self._name(".docx"), bytes(data)

    def docx_hostile_xml(self) -> Case:
        base = self.rng.choice(self.docx)
        kind = self.rng.randrange(4)
        if kind == 0:  # billion laughs
            entities = '<!ENTITY a "lol">' + "".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                for i in range(9)
            )
            body = (
                f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
                f"<w:document {_W}><w:body>{_paragraph('&j;')}</w:body></w:document>"
            ).encode()
            family = "docx/entity-bomb"
        elif kind == 1:  # external entity
            body = (
                '<?xml version="1.0"?><!DOCTYPE w:document '
                '[<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                f"<w:document {_W}><w:body>{_paragraph('&x;')}</w:body></w:document>"
            ).encode()
            family = "docx/xxe"
        elif kind == 2:  # deep nesting
            depth = self.rng.choice([1000, 10000, 100000])
            body = _document_xml("<w:sdt><w:sdtContent>" * depth + _paragraph("deep"))
            family = "docx/deep-xml"
        else:  # payload text and a hostile hyperlink relationship
            body = _document_xml("".join(_paragraph(_xml_escape(p)) for p in PAYLOADS))
            family = "docx/payload-text"
        return family, self._name(".docx"), _rezip(base, {"word/document.xml": body})

    def nested_html(self) -> Case:
        depth = self.rng.choice([50, 300, 600, 5000, 100000])
        tag = self.rng.choice(TAGS)
        closing = self.rng.random() < 0.5
        html = "<html><body>" + f"<{tag}>" * depth + "deep text"
        if closing:
            html += f"</{tag}>" * depth
        return f"html/nested-{depth}", self._name(".html"), html.encode()

    def payload_html(self) -> Case:
        payloads = self.rng.sample(PAYLOADS, self.rng.randrange(1, 8))
        head = self.rng.choice(["<!doctype html><html><body>", "<html>", "", "<body>"])
        body = "\n".join(f"<p>{self.rng.choice(WORDS)}</p>{p}" for p in payloads)
        filename = self._name(self.rng.choice([".html", ".htm", ".txt", ".md"]))
        return "html/payload", filename, (head + body).encode()

    def payload_markdown(self) -> Case:
        parts = self.rng.sample(MARKDOWN_PAYLOADS + PAYLOADS, self.rng.randrange(1, 6))
        text = "# Notes\n\n" + "\n\n".join(
            f"{self.rng.choice(WORDS)} {p}" for p in parts
        )
        return "markdown/payload", self._name(".md"), text.encode()

    def payload_text(self) -> Case:
        text = "\n".join(self.rng.sample(PAYLOADS + MARKDOWN_PAYLOADS, 6))
        return "text/payload", self._name(".txt"), text.encode()

    def huge_line(self) -> Case:
        size = self.rng.choice([100_000, 1_000_000, 2_500_000])
        unit = self.rng.choice(["a", "word ", "<b>", "é", "\t"])
        extension = self.rng.choice([".txt", ".md", ".html", ".csv"])
        return (
            f"text/huge-line-{size}",
            self._name(extension),
            (unit * (size // len(unit))).encode(),
        )

    def nul_bytes(self) -> Case:
        data = bytearray(f"budget {self.rng.choice(PAYLOADS)} review".encode() * 20)
        for _ in range(self.rng.randrange(1, 20)):
            data[self.rng.randrange(len(data))] = 0
        return (
            "text/nul",
            self._name(self.rng.choice([".txt", ".md", ".html"])),
            bytes(data),
        )

    def bad_unicode(self) -> Case:
        text = "Budget review " + self.rng.choice(PAYLOADS) + " café naïve 数据"
        kind = self.rng.randrange(6)
        if kind == 0:  # invalid UTF-8 continuation and overlong forms
            data = text.encode() + self.rng.choice(
                [b"\xc3\x28", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80"]
            )
        elif kind == 1:  # UTF-16 without a byte-order mark
            data = text.encode("utf-16-le")
        elif kind == 2:  # UTF-16 with a mark but an odd length / lone surrogate
            data = (
                b"\xff\xfe"
                + text.encode("utf-16-le")
                + self.rng.choice([b"\x00", b"\x00\xd8"])
            )
        elif kind == 3:  # UTF-32 with a mark, truncated
            data = text.encode("utf-32")[:-1]
        elif kind == 4:  # control characters everywhere
            data = "".join(c + chr(self.rng.randrange(1, 32)) for c in text).encode()
        else:  # mixed encodings in one file
            data = (
                text.encode("utf-8")
                + text.encode("latin-1", "replace")
                + text.encode("cp1252", "replace")
            )
        return (
            f"text/unicode-{kind}",
            self._name(self.rng.choice([".txt", ".md", ".html", ""])),
            data,
        )

    def wrong_extension(self) -> Case:
        choices = [
            (self.rng.choice(self.pdfs), [".docx", ".txt", ".html", ".md", ".png"]),
            (self.rng.choice(self.docx), [".pdf", ".txt", ".html", ".zip"]),
            (
                ("<html><body>" + PAYLOADS[0] + "</body></html>").encode(),
                [".pdf", ".docx", ".txt"],
            ),
            (b"\x89PNG\r\n\x1a\n" + self.rng.randbytes(200), [".txt", ".pdf", ".html"]),
        ]
        data, extensions = self.rng.choice(choices)
        return "wrong-extension", self._name(self.rng.choice(extensions)), data

    def random_bytes(self) -> Case:
        size = self.rng.choice([1, 7, 512, 4096, 100_000])
        prefix = self.rng.choice(
            [b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<html>", b"\xef\xbb\xbf"]
        )
        extension = self.rng.choice([".pdf", ".docx", ".txt", ".html", ".bin", ""])
        return "random", self._name(extension), prefix + self.rng.randbytes(size)

    def degenerate(self) -> Case:
        data = self.rng.choice(
            [
                b"",
                b" ",
                b"\n\n\n",
                b"\xef\xbb\xbf",
                b"\xff\xfe",
                b"<html></html>",
                b"%PDF-",
                b"PK\x05\x06" + b"\0" * 18,
            ]
        )
        return (
            "degenerate",
            self._name(self.rng.choice([".txt", ".pdf", ".docx", ".html"])),
            data,
        )

    def _name(self, extension: str) -> str:
        stem = self.rng.choice(
            [
                "report",
                "../../etc/passwd",
                "<script>x</script>",
                "a" * 300,
                "notes",
                "résumé",
            ]
        )
        return f"{stem}{extension}"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
