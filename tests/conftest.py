"""Paths and fixtures shared by the whole suite. The real-world corpus is read in place, never copied;
the sample shop is solved once per session (:func:`shop_size`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from eks_plan.planning import SizeResult

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: expected it at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"the shared reference data is missing: expected it at {REFERENCE}")
    return REFERENCE


SHOP = REPO_ROOT / "samples" / "shop"
#: The sample's solver time limit in the tests: its first plan (greedy packing, before CP-SAT)
#: already places every pod, and the tests read only what holds for any verified plan.
SHOP_TIME_LIMIT = "2"


@dataclass(frozen=True)
class SizeRun:
    """One in-process ``eks-plan size`` run: what it printed and wrote, and the library's result."""

    exit_code: int
    stdout: str
    stderr: str
    plan_file: Path
    result: SizeResult  # what size_cluster returned to the command

    def data(self) -> dict[str, Any]:
        return json.loads(self.stdout)


@pytest.fixture(scope="session")
def shop_size(tmp_path_factory: pytest.TempPathFactory) -> SizeRun:
    """``eks-plan size`` of the sample shop with ``-o json --plan-out``, solved once per session.

    Run the command in process (the CLI's code, not a copy of it) and keep what ``size_cluster``
    returned, so tests of the table output and of ``check-ips MANIFESTS`` can reuse the plan
    instead of solving again. Tests that use it are marked ``xdist_group("shop")`` (see
    :data:`SHOP_GROUP`) so that ``pytest -n 2 --dist loadgroup`` runs them on one worker.
    """
    from typer.testing import CliRunner

    from eks_plan import planning
    from eks_plan.cli.app import app

    results: list[SizeResult] = []
    original = planning.size_cluster

    def recording(*args: Any, **kwargs: Any) -> SizeResult:
        result = original(*args, **kwargs)
        results.append(result)
        return result

    plan_file = tmp_path_factory.mktemp("shop") / "plan.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planning, "size_cluster", recording)
        run = CliRunner().invoke(
            app,
            ["size", str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml"),
             "--time-limit", SHOP_TIME_LIMIT, "-o", "json", "--plan-out", str(plan_file)],
        )  # fmt: skip
    assert run.exit_code == 0, (run.output, run.exception)
    [result] = results
    return SizeRun(run.exit_code, run.stdout, run.stderr, plan_file, result)


#: Mark of the tests that read :func:`shop_size`: one worker runs them all, so the shop is solved once.
SHOP_GROUP = pytest.mark.xdist_group("shop")


@pytest.fixture
def reuse_shop_plan(shop_size: SizeRun, monkeypatch: pytest.MonkeyPatch) -> SizeRun:
    """Make ``size_cluster`` return the session's shop result instead of solving again, for a
    command run in process on the shop's manifests and config (anything else fails the test)."""
    from eks_plan import planning

    def cached(paths: Any, *, config_path: Any = None, **_: Any) -> SizeResult:
        assert [Path(path) for path in paths] == [SHOP / "manifests"]
        assert Path(config_path) == SHOP / "eks-plan.yaml"
        return shop_size.result

    monkeypatch.setattr(planning, "size_cluster", cached)
    return shop_size


def pytest_collection_finish(session: pytest.Session) -> None:
    """Exempt what collection built from the cyclic garbage collector's later passes (gc.freeze).

    Every test process holds, from collection to its end, its imported modules and the collected
    tests: about 118,000 tracked objects that are never garbage. Each full collection walked them
    all again, and a worker ran about 40 full collections over the suite (0.2 to 0.8 s each under
    load, 9 to 15 s per worker), five of them at the end of the session. Frozen, they are left out
    of every pass; objects made later, by the tests, are collected as before.
    """
    import gc

    gc.freeze()
