"""Where lint runs: the pre-commit hook, with the real ``pre-commit try-repo``, and the GitHub
Action's shell step, run locally with the environment variables GitHub sets."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parent / "data"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_hook_fails_on_a_bad_manifest_and_passes_a_good_one(tmp_path):
    """``pre-commit try-repo`` installs the hook from this repository (its .pre-commit-hooks.yaml,
    language python) and runs it on a temporary git repository's files. The hook's virtualenv sees
    the test environment's packages (VIRTUALENV_SYSTEM_SITE_PACKAGES), so pip installs eks-plan
    itself from this checkout without downloading its dependencies again, and builds it with the
    test environment's hatchling (the [test] extra) instead of fetching one into an isolated build
    environment. Its pip is linked from virtualenv's cache, not copied. Measured under load on 2
    cores: the install took 13 s of a 22 s try-repo, of which 5 s went to the isolated hatchling
    and 3 to 6 s to copying pip into the new virtualenv."""
    pytest.importorskip("pre_commit", reason="pre-commit is in the [test] extra")
    repo = tmp_path / "project"
    repo.mkdir()
    shutil.copy(DATA / "bad" / "app.yaml", repo / "bad.yaml")
    shutil.copy(DATA / "good" / "app.yaml", repo / "good.yaml")
    _git("init", "-q", ".", cwd=repo)
    _git("add", ".", cwd=repo)
    environment = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "VIRTUALENV_SYMLINK_APP_DATA": "1",
        "PYTHONPATH": "",
    }
    if importlib.util.find_spec("hatchling") is not None:
        environment["PIP_NO_BUILD_ISOLATION"] = "0"  # pip's spelling of --no-build-isolation

    def try_repo(file: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "eks-plan-lint"]
        command += ["--files", file]
        return subprocess.run(command, cwd=repo, env=environment, capture_output=True, text=True, check=False)

    bad = try_repo("bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "eks-plan lint" in bad.stdout and "Failed" in bad.stdout
    assert "22:13 error EKP104 memory-millibytes" in bad.stdout
    # Each try-repo installs the hook in a fresh store (10 to 40 s), so the passing case runs the
    # hook's own entry, as pre-commit would, on the good file.
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "eks-plan-lint" and hook["entry"].startswith("eks-plan lint")
    entry = [sys.executable, "-m", "eks_plan.cli.app", *hook["entry"].split()[1:], "good.yaml"]
    with_checkout = {**os.environ, "PYTHONPATH": str(ROOT)}
    good = subprocess.run(entry, cwd=repo, env=with_checkout, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 findings" in good.stdout


def _action_step(step_id: str) -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    return next(step for step in action["runs"]["steps"] if step.get("id") == step_id)


def _run_lint_step(tmp_path: Path, inputs: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the action's lint step with bash as the runner does: ``${{ inputs.X }}`` in ``env``
    replaced by the inputs (defaults from action.yml), and GitHub's own variables set."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update(inputs)
    step = _action_step("lint")
    step_env = {}
    for name, template in step["env"].items():
        for key, value in values.items():
            template = template.replace("${{ inputs." + key + " }}", value)
        assert "${{" not in template
        step_env[name] = template
    shim = tmp_path / "bin" / "eks-plan"  # eks-plan from this checkout, as the install step would give
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m eks_plan.cli.app "$@"\n')
    shim.chmod(0o755)
    workspace = tmp_path / "workspace"
    shutil.copytree(DATA, workspace)
    github = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "RUNNER_TEMP": str(tmp_path),
    }
    environment = {**os.environ, **github, **step_env, "PATH": f"{shim.parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, workspace


def test_action_lint_step_annotates_writes_sarif_and_fails(tmp_path):
    done, workspace = _run_lint_step(tmp_path, {"paths": "bad", "args": "--no-plan", "install": "false"})
    assert done.returncode == 1, done.stderr
    annotation = "::error file=bad/app.yaml,line=22,endLine=22,col=13,endColumn=19,title=EKP104 "
    assert annotation in done.stdout
    sarif = json.loads((workspace / "eks-plan.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 8
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs == {"sarif-file": "eks-plan.sarif", "findings": "8"}
    assert "8 finding(s) in bad" in (tmp_path / "summary.md").read_text()


def test_action_lint_step_passes_a_clean_folder(tmp_path):
    inputs = {"paths": "good", "args": "--no-plan", "install": "false", "sarif-file": "out.sarif"}
    done, workspace = _run_lint_step(tmp_path, inputs)
    assert done.returncode == 0, done.stderr
    assert json.loads((workspace / "out.sarif").read_text())["runs"][0]["results"] == []


def test_action_install_step_installs_from_the_action_checkout():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [install] = [s for s in action["runs"]["steps"] if s["name"] == "Install eks-plan"]
    assert install["if"] == "inputs.install == 'true'"
    assert '"$GITHUB_ACTION_PATH"' in install["run"] and "pip install" in install["run"]
    assert _action_step("lint")["shell"] == "bash"
