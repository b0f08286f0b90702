"""Errors raised while ingesting documents.

Every refusal is a ``DocumentRejectedError`` whose message is shown to the
person who sent the file, so it says what is wrong in plain words.
"""


class DocumentRejectedError(ValueError):
    """The file was refused as a whole; nothing was saved."""

    code = "rejected"


class EmptyDocumentError(DocumentRejectedError):
    code = "empty"


class FileTooLargeError(DocumentRejectedError):
    code = "too_large"


class UnsupportedFormatError(DocumentRejectedError):
    code = "unsupported"


class CorruptFileError(DocumentRejectedError):
    code = "corrupt"


class SpaceNotFoundError(DocumentRejectedError):
    code = "no_space"


class DocumentGoneError(DocumentRejectedError):
    """The document a write was for was deleted meanwhile."""

    code = "deleted"
