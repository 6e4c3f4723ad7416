"""Loading in two processes gives exactly what loading one file after the other gives.

``parallel_min_files=2`` forces the parallel path (a forked helper shares the files) on inputs far
smaller than where it pays off; ``10**9`` forces the serial one.

Which process reads which chunk of files is the loader's business and depends on timing, except
for the first two chunks, dealt out before the shared counter starts: chunk 0 to this process,
chunk 1 to the helper. So the tests assert what does not depend on timing: the result is the
serial one, the helper read chunk 1 and not chunk 0, and it sent back exactly the workloads of
the chunks it read. How chunks are merged is tested separately with fixed schedules
(:func:`schedule`), where each process takes the chunks the test deals it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class HelperRun:
    """What the helper sent back in the second step of one parallel load (reading workloads)."""

    chunks: list[int]  # the numbers of the chunks it read
    workloads: int  # how many workloads it read from them
    chunk_files: list[list[str]]  # the files of every chunk, as the loader cut them

    def files(self) -> set[str]:
        return {file for number in self.chunks for file in self.chunk_files[number]}


@pytest.fixture
def helper_runs(monkeypatch: pytest.MonkeyPatch) -> list[HelperRun]:
    """One :class:`HelperRun` per parallel load that got as far as reading workloads."""
    runs: list[HelperRun] = []
    original = loader_module._Helper._receive

    def recording(self: loader_module._Helper) -> Any:
        payload = original(self)
        results, _ = payload
        if results and isinstance(results[0][1], list):  # the second step: read workloads
            runs.append(
                HelperRun(
                    chunks=[number for number, _ in results],
                    workloads=sum(len(chunk) for _, chunk in results),
                    chunk_files=[[source.display for source in chunk] for chunk in self._chunks.chunks],
                )
            )
        return payload

    monkeypatch.setattr(loader_module._Helper, "_receive", recording)
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


def assert_helper_read_its_share(run: HelperRun, serial: ManifestSet) -> None:
    """The helper read its own first chunk, never this process's, and sent back exactly the
    workloads of the files it read (the parent read the rest)."""
    assert loader_module._Chunks.HELPER_FIRST in run.chunks
    assert loader_module._Chunks.PARENT_FIRST not in run.chunks
    assert run.workloads == sum(1 for workload in serial.workloads if workload.source.file in run.files())


FOLDERS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_corpus_folder_loads_the_same_in_two_processes(
    folder: str, helper_runs: list[HelperRun]
) -> None:
    serial, parallel = load_both([CORPUS / folder], ReplicaMode.MAX)
    assert_same(serial, parallel)
    if len(serial.files) >= FORCE_PARALLEL:
        [run] = helper_runs
        assert_helper_read_its_share(run, serial)
    else:
        assert helper_runs == []


@pytest.mark.parametrize("mode", list(ReplicaMode))
def test_whole_corpus_loads_the_same_in_two_processes(
    mode: ReplicaMode, helper_runs: list[HelperRun]
) -> None:
    serial, parallel = load_both([CORPUS], mode)
    assert_same(serial, parallel)
    [run] = helper_runs
    assert_helper_read_its_share(run, serial)
    # The corpus has warnings to keep in order and PriorityClasses that apply across files.
    assert len(serial.warnings) > 10 and serial.priority_classes and serial.pdbs
    assert not multiprocessing.active_children()


@pytest.fixture
def schedule(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Deal the chunks after the first two by a fixed schedule instead of the shared counter:
    ``schedule(parent, helper)`` gives this process the chunk numbers ``parent`` in that order,
    the helper ``helper``. Each process has its own copy of the schedule after the fork."""

    def deal(parent: list[int], helper: list[int]) -> None:
        turns: dict[str, Iterator[int]] = {"parent": iter(parent), "helper": iter(helper)}

        def take(self: loader_module._Chunks) -> int | None:
            process = "parent" if multiprocessing.parent_process() is None else "helper"
            return next(turns[process], None)

        monkeypatch.setattr(loader_module._Chunks, "_take", take)

    return deal


CORPUS_CHUNKS = 66  # 132 files in chunks of 2 (checked below)
SCHEDULES = {
    "the helper reads every chunk but the first": ([], list(range(2, CORPUS_CHUNKS))),
    "this process reads every chunk but the second": (list(range(2, CORPUS_CHUNKS)), []),
    "alternating": (list(range(2, CORPUS_CHUNKS, 2)), list(range(3, CORPUS_CHUNKS, 2))),
    "the helper reads the last half, backwards": (
        list(range(2, CORPUS_CHUNKS // 2)),
        list(range(CORPUS_CHUNKS - 1, CORPUS_CHUNKS // 2 - 1, -1)),
    ),
}


@pytest.mark.parametrize("parent, helper", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_chunks_merge_in_file_order_whoever_reads_them(
    parent: list[int], helper: list[int], schedule: Any, helper_runs: list[HelperRun]
) -> None:
    serial = load_manifests([CORPUS], include=["*.injected"], parallel_min_files=SERIAL)
    schedule(parent, helper)
    parallel = load_manifests([CORPUS], include=["*.injected"], parallel_min_files=FORCE_PARALLEL)
    assert_same(serial, parallel)
    [run] = helper_runs
    assert len(run.chunk_files) == CORPUS_CHUNKS
    assert sorted(run.chunks) == sorted([loader_module._Chunks.HELPER_FIRST, *helper])
    assert_helper_read_its_share(run, serial)
    assert run.workloads < len(serial.workloads)  # chunk 0 has workloads, and this process read it
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper_runs: list[HelperRun]
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
