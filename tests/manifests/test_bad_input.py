"""Every kind of bad input is one InputError naming the file (and line) and what to do.

The same cases run through the command line in ``tests/cli/test_workloads.py``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests import load_manifests, yaml_source

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: app, resources: {requests: {cpu: 100m}}}]
"""


def alias_bomb(kind: str = "Deployment") -> str:
    lines = [f"kind: {kind}", "metadata:", "  name: bomb", "  annotations:"]
    lines.append("    a0: &a0 [x, x, x, x, x, x, x, x, x, x]")
    for level in range(1, 9):
        lines.append(f"    a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def make_bad_input(case: str, root: Path) -> tuple[Path, str]:
    """Create the bad input ``case`` under ``root``; return the path to pass and a message fragment."""
    path = root / f"{case}.yaml"
    if case == "malformed":
        path.write_text(DEPLOYMENT + "---\nkind: Service\nmetadata:\n  name: [unclosed\n")
        return path, "malformed YAML"
    if case == "non-utf8":
        path.write_bytes(DEPLOYMENT.encode() + b"---\nkind: ConfigMap\ndata: {a: caf\xe9}\n")
        return path, "not UTF-8"
    if case == "alias-bomb":
        path.write_text(DEPLOYMENT + "---\n" + alias_bomb())
        return path, "alias bomb"
    if case == "alias-bomb-in-ignored-kind":
        path.write_text(DEPLOYMENT + "---\n" + alias_bomb("ConfigMap"))
        return path, "alias bomb"
    if case == "too-large":
        path.write_text(DEPLOYMENT + "#" * (17 * 2**20) + "\n")
        return path, "larger than the 16 MiB limit"
    if case == "symlink-loop":
        directory = root / "manifests"
        (directory / "nested").mkdir(parents=True)
        (directory / "web.yaml").write_text(DEPLOYMENT)
        (directory / "nested" / "back").symlink_to(directory, target_is_directory=True)
        return directory, "symlink loop"
    if case == "empty-file":
        path.write_text("# nothing here yet\n---\n")
        return path, "no Kubernetes objects"
    if case == "empty-directory":
        directory = root / "empty"
        directory.mkdir()
        (directory / "README.md").write_text("not a manifest\n")
        return directory, "no manifest files"
    if case == "helm-template":
        templated = "spec:\n  replicas: {{ .Values.replicas }}\n  template"
        path.write_text(DEPLOYMENT.replace("spec:\n  template", templated))
        return path, "Helm template"
    if case == "missing":
        return root / "nope.yaml", "no such file"
    if case == "invalid-quantity":
        path.write_text(DEPLOYMENT.replace("cpu: 100m", "cpu: 1.5 cores"))
        return path, "not a valid quantity"
    if case == "unknown-resource":
        path.write_text(DEPLOYMENT.replace("cpu: 100m", "memroy: 1Gi"))
        return path, "unknown resource 'memroy'"
    if case == "request-over-limit":
        path.write_text(DEPLOYMENT.replace("{cpu: 100m}", "{cpu: 100m}, limits: {cpu: 50m}"))
        return path, "less than or equal"
    if case == "not-an-object":
        path.write_text("# a values file by mistake\n- 1\n- 2\n")
        return path, "list of numbers"
    raise AssertionError(case)


BAD_INPUTS = [
    "malformed", "non-utf8", "alias-bomb", "alias-bomb-in-ignored-kind", "too-large", "symlink-loop",
    "empty-file", "empty-directory", "helm-template", "missing", "invalid-quantity", "unknown-resource",
    "request-over-limit", "not-an-object",
]  # fmt: skip

#: Where each error must point (line; 0 = the file or directory as a whole).
EXPECTED_LINE = {
    "malformed": 12, "non-utf8": 10, "alias-bomb": 9, "alias-bomb-in-ignored-kind": 9, "too-large": 0,
    "symlink-loop": 0, "empty-file": 0, "empty-directory": 0, "helm-template": 5, "missing": 0,
    "invalid-quantity": 7, "unknown-resource": 7, "request-over-limit": 7, "not-an-object": 2,
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_clear_error(case: str, tmp_path: Path) -> None:
    path, fragment = make_bad_input(case, tmp_path)
    with pytest.raises(InputError) as caught:
        load_manifests([path])
    error = caught.value
    assert fragment in str(error)
    assert error.location is not None
    assert error.location.file.startswith(str(tmp_path))
    assert error.location.line == EXPECTED_LINE[case], str(error)
    assert error.hint or case in ("missing",), "every error says what to do"


def test_max_file_size_can_be_raised(tmp_path: Path) -> None:
    path, _ = make_bad_input("too-large", tmp_path)
    manifests = load_manifests([path], max_file_bytes=32 * 2**20)
    assert len(manifests.workloads) == 1


def test_symlink_to_a_sibling_directory_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    manifests = load_manifests([tmp_path])
    assert len(manifests.workloads) == 1


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(DEPLOYMENT)
    if os.geteuid() == 0:  # root reads a mode-000 file, so make the read fail as it would for a user

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(yaml_source, "open", refuse, raising=False)
    else:
        path.chmod(0)
    with pytest.raises(InputError) as caught:
        load_manifests([tmp_path])
    assert caught.value.location == SourceLocation(str(path))
    assert "Permission denied" in caught.value.message


def test_empty_standard_input() -> None:
    with pytest.raises(InputError, match="no Kubernetes objects found in -"):
        load_manifests(["-"], stdin=io.StringIO(""))


def test_standard_input_over_the_cap() -> None:
    with pytest.raises(InputError, match="standard input is larger"):
        load_manifests(["-"], stdin=io.StringIO(DEPLOYMENT), max_file_bytes=10)


def test_non_utf8_standard_input_names_line() -> None:
    stream = io.TextIOWrapper(io.BytesIO(DEPLOYMENT.encode() + b"# caf\xe9\n"))
    with pytest.raises(InputError) as caught:
        load_manifests(["-"], stdin=stream)
    assert caught.value.location == SourceLocation("-", 8, 6)


def test_include_globs_and_hidden_directories(tmp_path: Path) -> None:
    (tmp_path / "app.yaml.injected").write_text(DEPLOYMENT)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "old.yaml").write_text(DEPLOYMENT)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as caught:
        load_manifests([tmp_path])
    assert "1 file(s) were skipped" not in (caught.value.hint or "")  # only the .injected one counts
    assert "--include" in (caught.value.hint or "")
    manifests = load_manifests([tmp_path], include=["*.injected"])
    assert [Path(f).name for f in manifests.files] == ["app.yaml.injected"]


def test_a_named_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "rendered.txt"
    path.write_text(DEPLOYMENT)
    assert len(load_manifests([path]).workloads) == 1
