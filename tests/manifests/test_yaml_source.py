"""The YAML reader: plain data like ``safe_load``, positions on demand, and clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests import yaml_source
from eks_plan.manifests.yaml_source import (
    HAS_LIBYAML,
    decode_text,
    find_template_line,
    parse_yaml_documents,
    read_text_file,
)
from tests.conftest import CORPUS

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_libyaml_is_used_when_installed() -> None:
    assert hasattr(yaml, "CSafeLoader") == HAS_LIBYAML


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [true, no, on, 0x1f, 017, 1_000, 1:30, 1.5e3, .inf, ~, null, '1', \"x\"]\n",
        "list:\n- {a: b}\n- - nested\n  - 2\nempty: {}\nnone: []\n",
        "base: &base {cpu: 100m, memory: 1Gi}\nderived:\n  <<: *base\n  cpu: 200m\n",
        "both:\n  <<: [{a: 1}, {a: 2, b: 2}]\n  c: 3\n",
        "alias: &x [1, 2]\nagain: *x\n",
        '{"kind": "Pod", "metadata": {"name": "json"}, "spec": {"containers": []}}\n',
    ],
)
def test_data_matches_safe_load(text: str) -> None:
    [document] = parse_yaml_documents(text, "t.yaml")
    assert document.data == yaml.safe_load(text)


def test_timestamps_and_yaml11_value_stay_strings() -> None:
    [document] = parse_yaml_documents("created: 2024-01-02T03:04:05Z\nenum: [=, a]\n", "t.yaml")
    assert document.data == {"created": "2024-01-02T03:04:05Z", "enum": ["=", "a"]}


CORPUS_FILES = sorted(
    path.relative_to(CORPUS).as_posix()
    for path in CORPUS.rglob("*")
    if path.is_file() and path.suffix in (".yaml", ".injected", ".yml", ".json")
)


def test_the_corpus_has_files_to_compare() -> None:
    assert len(CORPUS_FILES) > 100


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_file_loads_like_safe_load(name: str) -> None:
    """The whole real-world corpus, a file per test (so workers share it): same data as PyYAML
    (where PyYAML can read it at all)."""
    path = CORPUS / name
    text = path.read_text(encoding="utf-8")
    ours = [document.data for document in parse_yaml_documents(text, str(path))]
    if "0alertmanagerConfigCustomResourceDefinition" in path.name:
        assert "=" in str(ours)  # the bare `- =` enum value SafeLoader refuses
        return
    theirs = [data for data in yaml.load_all(text, Loader=SafeLoader) if data is not None]
    assert ours == theirs, path


def test_multi_document_positions_are_per_file_lines() -> None:
    text = "# header\nkind: A\n---\nkind: B\nspec:\n  replicas: 2\n...\n---\n\n"
    first, second = parse_yaml_documents(text, "m.yaml")
    assert first.start == SourceLocation("m.yaml", 2, 1)
    assert second.location(("spec", "replicas")) == SourceLocation("m.yaml", 6, 3)
    assert second.location(("spec", "missing", "deeper")) == SourceLocation("m.yaml", 5, 1)


def test_line_offset_shifts_every_position() -> None:
    [document] = parse_yaml_documents("kind: A\nspec: {x: 1}\n", "f.yaml", line_offset=40)
    assert document.location(("spec", "x")) == SourceLocation("f.yaml", 42, 8)


def test_sequence_items_and_sub_documents() -> None:
    text = "kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata:\n    name: b\n"
    [document] = parse_yaml_documents(text, "l.yaml")
    assert document.location(("items", 1)) == SourceLocation("l.yaml", 5, 3)
    item = document.at(("items", 1))
    assert item.data["metadata"]["name"] == "b"
    assert item.start == SourceLocation("l.yaml", 5, 3)
    assert item.location(("metadata", "name")) == SourceLocation("l.yaml", 7, 5)


def test_duplicate_keys_are_an_error_naming_both_lines() -> None:
    """kubectl apply decodes strictly and refuses a repeated key rather than keeping the last."""
    with pytest.raises(InputError) as caught:
        parse_yaml_documents("a: 1\na: 2\n", "d.yaml")
    assert caught.value.location == SourceLocation("d.yaml", 2, 1)
    assert "duplicate key 'a'" in caught.value.message and "first at line 1" in caught.value.message


def _error(text: str, filename: str = "bad.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_yaml_documents(text, filename)
    return caught.value


def test_malformed_yaml_names_line_and_column() -> None:
    error = _error("kind: Pod\nmetadata:\n  name: a\n   bad: indentation\n")
    assert error.location is not None and error.location.file == "bad.yaml"
    assert error.location.line == 4
    assert "malformed YAML" in error.message


def test_tab_indentation_is_malformed() -> None:
    error = _error("kind: Pod\nspec:\n\tcontainers: []\n")
    assert error.location is not None and error.location.line == 3


def test_control_character_is_reported_with_its_line() -> None:
    error = _error("a: 1\nb: x\x07y\n")
    assert error.location == SourceLocation("bad.yaml", 2, 5)


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    error = _error("\n".join(lines) + "\n")
    assert "alias bomb" in error.message
    assert error.location is not None and error.location.line == 1


def test_a_few_aliases_are_fine() -> None:
    text = "x: &x {a: [1, 2, 3]}\n" + "".join(f"y{i}: *x\n" for i in range(50))
    [document] = parse_yaml_documents(text, "ok.yaml")
    assert document.data["y49"] == {"a": [1, 2, 3]}


def test_recursive_alias_is_refused() -> None:
    error = _error("a: &a [1, *a]\n")
    assert "recursive" in error.message


def test_deep_nesting_is_refused_cleanly() -> None:
    error = _error("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert error.location is not None and error.location.file == "bad.yaml"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("spec:\n  replicas: {{ .Values.replicas }}\n", 2),  # valid YAML: a mapping as a key
        ("metadata:\n  name: {{ .Release.Name }}-web\n", 2),  # not YAML at all
        ("{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n", 1),
        ('items:\n- {{ include "x" . }}\n', 2),
    ],
)
def test_unrendered_helm_template_says_run_helm_template(text: str, line: int) -> None:
    error = _error(text)
    assert "Helm template" in error.message
    assert "helm template" in (error.hint or "")
    assert error.location == SourceLocation("bad.yaml", line)


@pytest.mark.parametrize(
    "text",
    [
        'data:\n  tmpl: |\n    {{ define "slack" }}\n    {{ end }}\n',
        "data:\n  tmpl: >-\n    text\n      {{ nested }}\n",
        "rules:\n- alert: Down\n  annotations:\n    description: Pod {{ $labels.pod }} is down\n",
        "msg: '{{ $value }} of {{ $labels.job }}'\nq: \"{{ x }}\"\n",
        'data:\n  dash.json: |-\n    {\n      "legendFormat": "{{instance}}"\n    }\n',
    ],
)
def test_double_braces_inside_strings_are_not_templates(text: str) -> None:
    assert find_template_line(text) is None
    assert parse_yaml_documents(text, "ok.yaml")


def test_kube_prometheus_files_with_braces_load() -> None:
    files = [p for p in (CORPUS / "kube-prometheus").rglob("*.yaml") if "{{" in p.read_text()]
    assert len(files) == 8
    for path in files:
        assert find_template_line(path.read_text()) is None, path
        assert parse_yaml_documents(path.read_text(), str(path))


def test_non_utf8_bytes_name_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        decode_text(b"kind: Pod\nmetadata:\n  name: caf\xe9\n", "latin1.yaml")
    assert caught.value.location == SourceLocation("latin1.yaml", 3, 12)
    assert "UTF-8" in caught.value.message


def test_utf8_bom_is_accepted() -> None:
    assert decode_text(b"\xef\xbb\xbfkind: Pod\n", "bom.yaml") == "kind: Pod\n"


def test_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 100)
    assert read_text_file(path, "big.yaml", max_bytes=500) == "a: 1\n" * 100
    with pytest.raises(InputError) as caught:
        read_text_file(path, "big.yaml", max_bytes=499)
    assert "larger than" in caught.value.message
    assert "--max-file-size" in (caught.value.hint or "")


def test_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    if os.geteuid() == 0:  # root reads a mode-000 file, so make the read fail as it would for a user

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(yaml_source, "open", refuse, raising=False)
    else:
        path.chmod(0)
    with pytest.raises(InputError) as caught:
        read_text_file(path, "secret.yaml")
    assert caught.value.message == "cannot read the file: Permission denied"
    assert caught.value.location == SourceLocation("secret.yaml")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_text_file(tmp_path / "nope.yaml", "nope.yaml")
    assert caught.value.location == SourceLocation("nope.yaml")
