"""Errors a user can fix, each with the place in their input it came from.

The library raises :class:`InputError` for anything wrong with what the user gave it (a manifest, a
config file, a flag); the CLI turns it into one message on stderr and exit code 2, with no
traceback unless ``--debug``. Anything else that escapes is a bug in eks-plan.

Example::

    >>> where = SourceLocation("deploy/web.yaml", 12, 9)
    >>> print(InputError("invalid quantity '12x' in requests.cpu", where, hint="use e.g. 500m or 2"))
    deploy/web.yaml:12:9: invalid quantity '12x' in requests.cpu (use e.g. 500m or 2)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A position in an input file: 1-based line and column, as editors and SARIF count them.

    ``file`` is the path as the user gave it (``-`` for standard input). ``line``/``column`` are
    0 when the position is unknown (JSON read without positions, a value made up by defaulting).
    """

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


class EksPlanError(Exception):
    """Base class of every error eks-plan raises on purpose."""


#: :attr:`InputError.code` values: the names of the lint rules (``eks_plan.lint.rules.input``) that
#: report a loader error, set where the error is raised so nothing is classified by its words.
INVALID_YAML = "invalid-yaml"
UNRENDERED_TEMPLATE = "unrendered-template"
INVALID_QUANTITY = "invalid-quantity"
UNKNOWN_RESOURCE = "unknown-resource"
REQUEST_ABOVE_LIMIT = "request-above-limit"
DUPLICATE_KEY = "duplicate-key"
#: Any other problem with a manifest's fields (the default of a loader error without a code).
INVALID_FIELD = "invalid-field"


class InputError(EksPlanError):
    """Bad user input: a file, manifest, config value or flag. The CLI exits with code 2.

    ``code`` names the lint rule the error belongs to (``duplicate-key``) where the raiser knows it,
    so that ``eks-plan lint`` reports it under that rule without reading the message.
    """

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        *,
        code: str | None = None,
    ):
        self.message = message
        self.location = location
        self.hint = hint
        self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text} ({self.hint})" if self.hint else text
