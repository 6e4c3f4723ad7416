"""One lint run: load what can be loaded, run the selected rules, apply suppressions and severities.

A file that stops the manifest loader (bad YAML, an invalid quantity) becomes a finding of an input
rule, and the run goes on without that file: the loader is simply run again on the files left.
Only what stops linting as a whole is an :class:`~eks_plan.errors.InputError` (exit 2): a path that
does not exist, an invalid ``eks-plan.yaml``, an unknown rule in ``--select``.

Example::

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "web.yaml").write_text(
    ...     "apiVersion: v1\\nkind: Pod\\nmetadata: {name: web}\\nspec:\\n  containers:\\n"
    ...     "  - name: web\\n    resources: {requests: {cpu: 250m, memory: 512m}}\\n")
    >>> report = lint_paths([str(folder)], options=LintOptions(run_plan=False))
    >>> [(f.code, f.name, f.location.line, f.location.column) for f in report.findings]
    [('EKP104', 'memory-millibytes', 7, 39)]
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from eks_plan.errors import INVALID_FIELD, InputError, SourceLocation
from eks_plan.lint.context import LintContext, LintOptions
from eks_plan.lint.findings import Finding, Severity
from eks_plan.lint.registry import Problem, Rule, all_rules, is_known_selector, matches
from eks_plan.manifests.model import ManifestSet

if TYPE_CHECKING:
    from eks_plan.config.model import PlanConfig

UNUSED_SUPPRESSION = "EKP901"


@dataclass(frozen=True)
class LintReport:
    """The result of a lint run: findings sorted by file, line and column."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    rules: tuple[Rule, ...]
    suppressed: int = 0
    #: The text of every file a finding points into, for the human report's source lines.
    sources: Mapping[str, str] = field(default_factory=dict)

    def source_line(self, location: SourceLocation) -> str:
        """The line a location points at ("" when unknown)."""
        lines = self.sources.get(location.file, "").splitlines()
        return lines[location.line - 1] if 0 < location.line <= len(lines) else ""

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)

    def fails(self, fail_on: Severity) -> bool:
        """Whether a finding is at or above ``fail_on`` (exit code 1)."""
        return any(finding.severity.rank >= fail_on.rank for finding in self.findings)


def lint_paths(
    paths: Sequence[str],
    *,
    config_path: str | Path | None = None,
    config: PlanConfig | None = None,
    include: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    options: LintOptions | None = None,
    stdin: TextIO | None = None,
    max_file_bytes: int | None = None,
) -> LintReport:
    """Lint the manifests under ``paths`` against ``eks-plan.yaml`` (``config_path``, or ``config``).

    ``select``/``ignore`` take rule codes, code prefixes (``EKP3``) or names and add to the
    config's ``lint:`` section (a ``select`` given here replaces the config's).
    """
    options = options or LintOptions()
    if config is None:
        from eks_plan.config import load_config

        config = load_config(config_path)
    settings = config.lint
    chosen_select = tuple(select) or settings.select or ("ALL",)
    chosen_ignore = (*settings.ignore, *ignore)
    for index, selector in enumerate(settings.select):
        _check_selector(selector, config.location_of(f"lint.select[{index}]"), "lint.select")
    for index, selector in enumerate(settings.ignore):
        _check_selector(selector, config.location_of(f"lint.ignore[{index}]"), "lint.ignore")
    for selector in settings.severity:
        _check_selector(selector, config.location_of(f"lint.severity.{selector}"), "lint.severity")
    for selector in (*select, *ignore):
        _check_selector(selector, None, "--select/--ignore")
    rules = tuple(
        registered
        for registered in all_rules()
        if any(matches(s, registered) for s in chosen_select)
        and not any(matches(s, registered) for s in chosen_ignore)
        and (options.run_plan or not registered.needs_plan)
    )

    manifests, file_paths, texts, input_errors = _load(paths, tuple(include), config, stdin, max_file_bytes)
    context = LintContext(
        config=config,
        manifests=manifests,
        options=options,
        file_paths=file_paths,
        input_errors=input_errors,
        texts=texts,
        rules=rules,
    )
    findings: list[Finding] = []
    for registered in rules:
        if registered.code == UNUSED_SUPPRESSION:
            continue
        findings.extend(_finding(context, registered, problem) for problem in registered.check(context))

    from eks_plan.lint.suppress import suppressions_in

    suppressions = suppressions_in(context.objects)
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        covering = [s for s in suppressions if s.covers(finding)]
        for suppression in covering:
            suppression.used += 1
        if covering:
            suppressed += 1
        else:
            kept.append(finding)
    context.suppressions = suppressions
    for registered in rules:
        if registered.code == UNUSED_SUPPRESSION:
            kept.extend(_finding(context, registered, problem) for problem in registered.check(context))

    overrides = [(selector, Severity(level)) for selector, level in settings.severity.items()]
    if overrides:
        from eks_plan.lint.registry import find_rule

        for index, finding in enumerate(kept):
            found = find_rule(finding.code)
            for selector, level in overrides:
                if found is not None and matches(selector, found):
                    kept[index] = finding = finding.with_severity(level)
    kept.sort(key=lambda finding: finding.sort_key)
    sources = {finding.location.file: context.text(finding.location.file) for finding in kept}
    return LintReport(tuple(kept), tuple(file_paths), rules, suppressed=suppressed, sources=sources)


def _check_selector(selector: str, location: SourceLocation | None, where: str) -> None:
    if not is_known_selector(selector):
        raise InputError(
            f"{where}: '{selector}' names no lint rule",
            location,
            hint="use a rule code (EKP101), a code prefix (EKP1) or a name (missing-requests); "
            "see `eks-plan rules`",
        )


_TOKEN = re.compile(r"""[^\s:,{}\[\]#"']+|"[^"]*"|'[^']*'""")


def _finding(context: LintContext, registered: Rule, problem: Problem) -> Finding:
    location = problem.location
    end_column = 0
    line = context.line(location) if location.column else ""
    if line:
        match = _TOKEN.match(line, location.column - 1)
        if match and match.end() > match.start():
            end_column = match.end() + 1
    return Finding(
        code=registered.code,
        name=registered.name,
        severity=registered.severity,
        message=problem.message,
        location=location,
        end_column=end_column,
        subject=problem.subject,
        fix=problem.fix,
    )


def _load(
    paths: Sequence[str],
    include: tuple[str, ...],
    config: PlanConfig,
    stdin: TextIO | None,
    max_file_bytes: int | None,
) -> tuple[ManifestSet, dict[str, Path | None], dict[str, str], list[tuple[str, InputError]]]:
    """Load the manifests; a file that stops the loader is set aside as an input finding and the
    rest is loaded again without it."""
    from eks_plan.manifests import load_manifests

    # The loader's own file discovery, so lint reads exactly the files `size` reads. A missing
    # path is an InputError here: linting cannot start (exit 2).
    from eks_plan.manifests.loader import _find_inputs

    if not paths:
        raise InputError("no manifests given", hint="pass files, directories, or - for standard input")
    inputs, _ = _find_inputs(list(paths), include)
    if not inputs:
        load_manifests(list(paths), include=include)  # raises its "no manifest files found" error
    file_paths: dict[str, Path | None] = {source.display: source.path for source in inputs}
    texts: dict[str, str] = {}
    if "-" in file_paths:
        texts["-"] = (stdin or sys.stdin).read()
    remaining = list(file_paths)
    errors: list[tuple[str, InputError]] = []
    load_options: dict[str, object] = {"replicas": config.replicas}
    if max_file_bytes is not None:
        load_options["max_file_bytes"] = max_file_bytes
    while remaining:
        try:
            manifests = load_manifests(
                remaining,
                stdin=io.StringIO(texts["-"]) if "-" in texts else None,
                **load_options,  # type: ignore[arg-type]
            )
            return manifests, file_paths, texts, errors
        except InputError as error:
            failed = error.location.file if error.location is not None else None
            if failed not in remaining:
                if errors:  # what is left holds no objects: lint what was reported
                    break
                raise
            errors.append((error.code or INVALID_FIELD, error))
            remaining.remove(failed)
    return ManifestSet(workloads=(), files=tuple(remaining)), file_paths, texts, errors
