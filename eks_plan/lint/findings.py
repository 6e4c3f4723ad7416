"""What a lint rule reports: a :class:`Finding` at a file, line and column, with a severity.

Findings are plain frozen values so every output format (human, JSON, SARIF, GitHub annotations,
JUnit) renders the same list, and tests compare them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from eks_plan.errors import SourceLocation


class Severity(StrEnum):
    """How bad a finding is; ``--fail-on`` picks the lowest one that fails the run (exit 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info: ``finding.severity.rank >= fail_on.rank`` fails."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a rule found, located at the offending key.

    ``location`` is 1-based (line and column of the key, as editors and SARIF count); ``end_column``
    is the column just after the key (0 when unknown); ``subject`` names the object
    (``Deployment/shop/web``) when there is one; ``fix`` says what to do.
    """

    code: str
    name: str
    severity: Severity
    message: str
    location: SourceLocation
    end_column: int = 0
    subject: str = ""
    fix: str = ""

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.location.file, self.location.line, self.location.column, self.code, self.message)
