"""Loading in two processes gives exactly what loading one file after the other gives.

``parallel_min_files=2`` forces the parallel path (a forked helper reads the second half of the
files) on inputs far smaller than where it pays off; ``10**9`` forces the serial one.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from eks_plan.errors import InputError
from eks_plan.manifests import ManifestSet, ReplicaMode, load_manifests
from eks_plan.manifests import loader as loader_module
from eks_plan.resources import MEMORY
from tests.conftest import CORPUS

SERIAL = 10**9
FORCE_PARALLEL = 2

pytestmark = pytest.mark.skipif(not loader_module._can_fork(), reason="needs fork and two cores")


@pytest.fixture
def helper_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many workloads the helper process read, once per parallel load that got that far."""
    runs: list[int] = []
    original = loader_module._Helper._receive

    def counting(self: loader_module._Helper) -> Any:
        payload = original(self)
        results, _ = payload
        if results and isinstance(results[0][1], list):  # the second step: read workloads
            runs.append(sum(len(chunk) for _, chunk in results))
        return payload

    monkeypatch.setattr(loader_module._Helper, "_receive", counting)
    return runs


def load_both(paths: list[Path], mode: ReplicaMode) -> tuple[ManifestSet, ManifestSet]:
    serial = load_manifests(paths, include=["*.injected"], replicas=mode, parallel_min_files=SERIAL)
    parallel = load_manifests(paths, include=["*.injected"], replicas=mode, parallel_min_files=FORCE_PARALLEL)
    return serial, parallel


def assert_same(serial: ManifestSet, parallel: ManifestSet) -> None:
    assert parallel.workloads == serial.workloads
    assert parallel.warnings == serial.warnings
    assert (parallel.documents, parallel.files, parallel.owned_skipped) == (
        serial.documents,
        serial.files,
        serial.owned_skipped,
    )
    assert parallel.total_requests() == serial.total_requests()
    assert parallel.total_pods == serial.total_pods
    assert parallel == serial


FOLDERS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_corpus_folder_loads_the_same_in_two_processes(folder: str, helper_runs: list[int]) -> None:
    serial, parallel = load_both([CORPUS / folder], ReplicaMode.MAX)
    assert_same(serial, parallel)
    assert len(helper_runs) == (1 if len(serial.files) >= FORCE_PARALLEL else 0)


@pytest.mark.parametrize("mode", list(ReplicaMode))
def test_whole_corpus_loads_the_same_in_two_processes(mode: ReplicaMode, helper_runs: list[int]) -> None:
    serial, parallel = load_both([CORPUS], mode)
    assert_same(serial, parallel)
    # The helper read a real share of the workloads, and the corpus has warnings to keep in order
    # and PriorityClasses that apply across files.
    assert len(helper_runs) == 1 and 0 < helper_runs[0] < len(serial.workloads)
    assert len(serial.warnings) > 10 and serial.priority_classes and serial.pdbs
    assert not multiprocessing.active_children()


WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 2
  template:
    spec:
      containers: [{{name: app, resources: {{requests: {{cpu: {cpu}}}}}}}]
"""


def write_files(root: Path, cpus: list[str]) -> list[Path]:
    paths = []
    for number, cpu in enumerate(cpus):
        path = root / f"{number:02d}.yaml"
        path.write_text(WORKLOAD.format(name=f"web-{number}", cpu=cpu))
        paths.append(path)
    return paths


def error_of(paths: list[Path], parallel_min_files: int) -> InputError:
    with pytest.raises(InputError) as raised:
        load_manifests(paths, parallel_min_files=parallel_min_files)
    return raised.value


@pytest.mark.parametrize(
    "cpus",
    [
        ["100m", "100m", "100m", "lots"],  # the only error is in the helper's half
        ["100m", "many", "100m", "lots"],  # one in each half: the first in file order wins
        ["100m", "100m", "lots", "many"],  # two in the helper's half
    ],
)
def test_errors_are_the_serial_ones(tmp_path: Path, cpus: list[str]) -> None:
    paths = write_files(tmp_path, cpus)
    serial = error_of(paths, SERIAL)
    parallel = error_of(paths, FORCE_PARALLEL)
    assert type(parallel) is InputError
    assert (parallel.message, parallel.location, parallel.hint) == (
        serial.message,
        serial.location,
        serial.hint,
    )
    assert str(parallel.location).startswith(str(paths[cpus.index(next(c for c in cpus if c[0] != "1"))]))
    assert not multiprocessing.active_children()


def test_a_cluster_wide_object_in_one_half_applies_to_workloads_in_the_other(tmp_path: Path) -> None:
    paths = write_files(tmp_path, ["100m", "100m", "100m"])
    limit_range = tmp_path / "99-limits.yaml"
    limit_range.write_text(
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: defaults}\n"
        "spec:\n  limits:\n  - type: Container\n    defaultRequest: {memory: 256Mi}\n"
    )
    serial = load_manifests([*paths, limit_range], parallel_min_files=SERIAL)
    parallel = load_manifests([*paths, limit_range], parallel_min_files=FORCE_PARALLEL)
    assert parallel == serial
    assert [workload.pod.requests[MEMORY] for workload in parallel.workloads] == [256 * 2**20] * 3


def test_a_failing_helper_falls_back_to_reading_serially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper_runs: list[int]
) -> None:
    """A bug (not an InputError) in the helper: the files are read again serially, where the
    same bug would surface with its own traceback."""
    paths = write_files(tmp_path, ["100m", "200m", "300m", "400m"])
    serial = load_manifests(paths, parallel_min_files=SERIAL)
    original = loader_module._add_files

    def broken_in_helper(*arguments):  # type: ignore[no-untyped-def]
        if multiprocessing.parent_process() is not None:  # in the forked helper
            raise RuntimeError("a bug in the helper")
        return original(*arguments)

    monkeypatch.setattr(loader_module, "_add_files", broken_in_helper)
    assert load_manifests(paths, parallel_min_files=FORCE_PARALLEL) == serial
    assert helper_runs == []
    assert not multiprocessing.active_children()
