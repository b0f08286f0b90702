"""Bytes to text: a byte-order mark, else strict UTF-8, else the likeliest
legacy encoding; newlines normalised."""

from __future__ import annotations

import codecs

import charset_normalizer

from docsite.documents.exceptions import CorruptFileError, UnsupportedFormatError

# UTF-32 first: its little-endian mark starts with the UTF-16 one.
BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset_normalizer often ranks Central European code pages first for
# Western text (it read French latin-1 as cp1250, "crème" -> "crčme"). When
# windows-1252 fits as well, it is the likelier source, as the WHATWG encoding
# standard assumes for unlabelled legacy text.
_PREFERRED_LEGACY_ENCODING = "cp1252"


def decode_text(data: bytes, *, filename: str = "") -> str:
    """Return ``data`` decoded as text, with newlines normalised to ``\\n``.

    A byte-order mark (UTF-8, UTF-16, UTF-32) decides the encoding. Without
    one, strict UTF-8 is tried, then charset_normalizer's guess. Raise
    ``UnsupportedFormatError`` when ``data`` holds NUL bytes (binary, or
    UTF-16 without a mark) and ``CorruptFileError`` when no encoding fits.
    ``filename``, when given, starts the error messages.
    """
    subject = filename or "The file"
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise CorruptFileError(
                    f"{subject} is damaged: it is marked as {encoding.upper()} text "
                    "but is not valid in that encoding."
                ) from None
            return normalise_newlines(text)

    if b"\x00" in data:
        raise UnsupportedFormatError(f"{subject} holds binary data, not text.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_legacy_encoding(data, subject=subject)
    return normalise_newlines(text)


def _decode_legacy_encoding(data: bytes, *, subject: str) -> str:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise CorruptFileError(
            f"{subject} is not readable: its text encoding could not be recognised. "
            "Save it as UTF-8 and upload it again."
        )
    equally_good = set(best.could_be_from_charset) | {
        match.encoding
        for match in matches
        if match.percent_chaos == best.percent_chaos
        and match.percent_coherence == best.percent_coherence
    }
    if _PREFERRED_LEGACY_ENCODING in equally_good:
        try:
            return data.decode(_PREFERRED_LEGACY_ENCODING)
        except UnicodeDecodeError:
            pass  # one of cp1252's five unused bytes; keep the detector's choice
    return str(best)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
