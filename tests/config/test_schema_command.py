"""``eks-plan schema``: the schema it prints is valid Draft 2020-12, and --validate exits 0 or 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from eks_plan.cli.app import app
from eks_plan.config import config_schema

FULL = Path(__file__).parent / "fixtures" / "full.yaml"
runner = CliRunner()


def test_schema_prints_a_valid_draft_2020_12_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema == config_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    sample = yaml.safe_load(FULL.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(sample)) == []


def test_every_key_of_the_schema_is_documented() -> None:
    def undocumented(node: object, path: str) -> list[str]:
        missing: list[str] = []
        if isinstance(node, dict):
            for key, child in node.get("properties", {}).items():
                if "description" not in child and "$ref" not in child:
                    missing.append(f"{path}.{key}")
            for key, child in node.items():
                missing += undocumented(child, f"{path}.{key}")
        return missing

    assert undocumented(config_schema(), "") == []


def test_schema_as_yaml_and_as_a_table() -> None:
    as_yaml = runner.invoke(app, ["schema", "-o", "yaml"])
    assert as_yaml.exit_code == 0 and yaml.safe_load(as_yaml.stdout) == config_schema()
    table = runner.invoke(app, ["schema", "-o", "table"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert "nodePools[].maxNodes" in table.stdout and "cni.warmPrefixTarget" in table.stdout


def test_validate_prints_the_effective_configuration() -> None:
    result = runner.invoke(app, ["schema", "--validate", str(FULL), "-o", "json"])
    assert result.exit_code == 0, result.output
    effective = json.loads(result.stdout)
    assert effective["addons"][0] == {
        "name": "aws-node",
        "namespace": "kube-system",
        "requests": {"cpu": "50m"},
        "hostNetwork": True,
        "tolerations": [{"operator": "Exists"}],
    }
    assert f"{FULL}: valid" in result.stderr


def test_validate_exit_codes_from_the_console_script(tmp_path: Path) -> None:
    bad = tmp_path / "eks-plan.yaml"
    bad.write_text("nodePools:\n  - name: web\n    maxNode: 3\n", encoding="utf-8")
    command = [sys.executable, "-m", "eks_plan.cli.app", "schema", "--validate"]
    good = subprocess.run([*command, str(FULL)], capture_output=True, text=True, check=False)
    assert good.returncode == 0 and good.stdout == ""
    failed = subprocess.run(
        [*command, "eks-plan.yaml"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert failed.returncode == 2
    expected = "eks-plan.yaml:3:5: nodePools[0]: unknown key 'maxNode' (did you mean 'maxNodes'?)"
    assert expected in failed.stderr
    assert "Traceback" not in failed.stderr
