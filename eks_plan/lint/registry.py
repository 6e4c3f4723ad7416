"""The one registry of lint rules: a stable code, a name, a default severity and the documentation.

A rule is a function registered by :func:`rule` (sqlfluff's and ruff's registries are the model).
It takes the :class:`~eks_plan.lint.context.LintContext` and yields :class:`Problem` values; the
engine stamps each with the rule's code, name and severity. The rule's docstring is its
documentation, in sections that ``eks-plan rules`` and SARIF ``rules[]`` print::

    One line: what the rule reports.

    More on what it checks (optional).

    Why: why it matters.

    Fails:
        a manifest (YAML) that the rule reports

    Passes:
        the same manifest, fixed

    Fix: what to change.

The warnings the manifest loader emits (``LoadWarning.code``, e.g. ``label-hint``) are registered
here too, each by a rule that declares it in ``load_codes``: one vocabulary for load warnings and
lint findings (:func:`rule_for_load_code`).

Example::

    >>> from eks_plan.lint import rules  # registers every rule
    >>> found = find_rule("EKP101")
    >>> found.name, str(found.severity), found.doc.summary
    ('missing-requests', 'warning', 'A container requests no cpu or no memory, after LimitRange defaults.')
    >>> find_rule("missing-requests") is found, rule_for_load_code("no-requests") is found
    (True, True)
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eks_plan.errors import SourceLocation
from eks_plan.lint.findings import Severity

if TYPE_CHECKING:
    from eks_plan.lint.context import LintContext


@dataclass(frozen=True, slots=True)
class Problem:
    """What a rule function yields: the engine turns it into a :class:`~eks_plan.lint.findings.Finding`."""

    message: str
    location: SourceLocation
    subject: str = ""
    fix: str = ""


CheckFunction = Callable[["LintContext"], Iterable[Problem]]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """A rule's documentation, parsed from its docstring."""

    summary: str
    details: str
    why: str
    fails: str
    passes: str
    fix: str

    @property
    def complete(self) -> bool:
        return all((self.summary, self.why, self.fails, self.passes, self.fix))

    def text(self) -> str:
        """The whole documentation as plain text (SARIF ``help.text``, ``eks-plan rules CODE``)."""
        parts = [self.summary]
        if self.details:
            parts.append(self.details)
        parts += [f"Why: {self.why}", f"Fails:\n{_indent(self.fails)}", f"Passes:\n{_indent(self.passes)}"]
        parts.append(f"Fix: {self.fix}")
        return "\n\n".join(parts)

    def markdown(self) -> str:
        """The documentation as Markdown (SARIF ``help.markdown``)."""
        parts = [self.summary]
        if self.details:
            parts.append(self.details)
        parts += [
            f"**Why:** {self.why}",
            f"**Fails:**\n\n```yaml\n{self.fails}\n```",
            f"**Passes:**\n\n```yaml\n{self.passes}\n```",
            f"**Fix:** {self.fix}",
        ]
        return "\n\n".join(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule. ``group`` is the module's rule group (input, requests, placement,
    resilience, plan, meta); ``needs_plan`` rules run the solver and are skipped with ``--no-plan``;
    ``load_codes`` are the loader warning codes this rule reports."""

    code: str
    name: str
    severity: Severity
    group: str
    check: CheckFunction
    doc: RuleDoc
    load_codes: tuple[str, ...] = ()
    needs_plan: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "group": self.group,
            "needs_plan": self.needs_plan,
            "load_codes": list(self.load_codes),
            "summary": self.doc.summary,
            "details": self.doc.details,
            "why": self.doc.why,
            "fails": self.doc.fails,
            "passes": self.doc.passes,
            "fix": self.doc.fix,
        }


#: Every rule, by code, in registration order (the rule modules register in code order).
REGISTRY: dict[str, Rule] = {}
_BY_NAME: dict[str, Rule] = {}
_BY_LOAD_CODE: dict[str, Rule] = {}

_CODE = re.compile(r"EKP\d{3}")
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_SECTION = re.compile(r"^(Why|Fails|Passes|Fix):[ \t]*(.*)$")


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    load_codes: tuple[str, ...] = (),
    needs_plan: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated check function as rule ``code`` (``EKP101``) named ``name``."""

    def register(check: CheckFunction) -> CheckFunction:
        if not _CODE.fullmatch(code) or not _NAME.fullmatch(name):
            raise ValueError(f"bad rule code or name: {code} {name}")
        existing = REGISTRY.get(code) or _BY_NAME.get(name)
        same = existing is not None and (existing.code, existing.name) == (code, name)
        if existing is not None and not (same and existing.check.__qualname__ == check.__qualname__):
            # (the same function imported a second time, as pytest's doctest import does, is fine)
            raise ValueError(f"rule {code} {name} is registered twice")
        group = check.__module__.rsplit(".", 1)[-1]
        registered = Rule(
            code, name, severity, group, check, parse_doc(check.__doc__ or ""), load_codes, needs_plan
        )
        REGISTRY[code] = registered
        _BY_NAME[name] = registered
        for load_code in load_codes:
            _BY_LOAD_CODE[load_code] = registered
        return check

    return register


def parse_doc(docstring: str) -> RuleDoc:
    """Split a rule docstring into its sections (see the module docstring)."""
    text = inspect.cleandoc(docstring)
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            sections[current] = [match.group(2)] if match.group(2) else []
        else:
            sections[current].append(line)
    head = "\n".join(sections[""]).strip().split("\n\n", 1)

    def block(name: str, code: bool = False) -> str:
        lines = sections.get(name, [])
        if code:
            return inspect.cleandoc("\n".join(lines)) if any(line.strip() for line in lines) else ""
        return " ".join(" ".join(lines).split())

    return RuleDoc(
        summary=" ".join(head[0].split()),
        details=" ".join(head[1].split()) if len(head) > 1 else "",
        why=block("Why"),
        fails=block("Fails", code=True),
        passes=block("Passes", code=True),
        fix=block("Fix"),
    )


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    _load_rule_modules()
    return sorted(REGISTRY.values(), key=lambda registered: registered.code)


def find_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (``EKP101``, any case) or name (``missing-requests``), else ``None``."""
    _load_rule_modules()
    return REGISTRY.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())


def rule_for_load_code(load_code: str) -> Rule | None:
    """The rule that reports a manifest loader warning code (``no-requests`` -> EKP101)."""
    _load_rule_modules()
    return _BY_LOAD_CODE.get(load_code)


def matches(selector: str, registered: Rule) -> bool:
    """Whether a ``--select``/``--ignore`` entry names this rule: its code, a code prefix
    (``EKP1`` = every requests rule), its name, or ``ALL``."""
    selector = selector.strip()
    upper = selector.upper()
    if upper == "ALL":
        return True
    if upper.startswith("EKP"):
        return registered.code.startswith(upper)
    return registered.name == selector.lower()


def is_known_selector(selector: str) -> bool:
    """Whether a selector names at least one rule."""
    return any(matches(selector, registered) for registered in all_rules())


def _load_rule_modules() -> None:
    import eks_plan.lint.rules  # noqa: F401  (importing registers the rules)


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.splitlines())
