"""The what-if session as a library object: knobs, validation, solving, history, comparison, saving."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from eks_plan.errors import InputError


def test_first_plan_matches_eks_plan_size(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """The session's first plan is the plan `eks-plan size` makes of the same inputs (same solver options)."""
    from eks_plan.planning import size_cluster
    from eks_plan.report.size import plan_file_data

    session = session_of(tiny)
    record = session.solve()
    size = size_cluster(
        [str(tiny / "manifests")], config_path=tiny / "eks-plan.yaml", time_limit_seconds=5, workers=1
    )
    expected = plan_file_data(size.plan, size.planning, size.config)
    assert record.number == 1 and record.parent is None
    assert record.document["node_groups"] == expected["node_groups"]
    assert record.document["cost_per_hour"] == expected["cost_per_hour"]
    assert record.summary.pods_placed == 4 and record.summary.pods_unschedulable == 0
    assert set(record.summary.ip_headroom) == {"us-east-1a 10.0.0.0/24", "us-east-1b 10.0.1.0/24"}
    assert all(0 < free <= 251 for free in record.summary.ip_headroom.values())


def test_edits_stay_pending_and_are_refused_with_the_loaders_message(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    from eks_plan.config import build_config

    session = session_of(tiny)
    session.solve()
    session.set("headroom", "20")
    assert session.pending == [("headroom", "20")]
    assert session.pending_knobs() == {"headroom": ["0", "20"]}
    assert session.current_record.knobs["headroom"] == "0"  # the plan is unchanged until a solve
    # The message is the configuration loader's own, for the same value written in the file.
    with pytest.raises(InputError) as loader:
        build_config({"headroomPercent": "lots"}, source=None)
    with pytest.raises(InputError) as knob:
        session.set("headroom", "lots")
    assert str(knob.value) == str(loader.value) == "headroomPercent: 'lots' is a string, expected a number"
    # Rules across keys too: spot capacity without a spot price is refused, nothing changes.
    with pytest.raises(InputError, match="spot capacity needs a spot price"):
        session.set("capacity", "spot")
    with pytest.raises(InputError, match="is not one of the plan's zones"):
        session.set("zones", "us-east-1a")  # the us-east-1b subnet would be outside the plan
    with pytest.raises(InputError, match=r"unknown knob 'headrom' \(did you mean 'headroom'\?\)"):
        session.set("headrom", "5")
    with pytest.raises(InputError, match="there is no node pool 'gpu'"):
        session.set("gpu.families", "g5")
    assert session.pending == [("headroom", "20")]


def test_what_if_spot_compares_with_previous_and_first(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    first = session.solve()
    session.set("spot-discount", "0.6")
    session.set("general.capacity", "spot")
    second = session.solve()
    assert second.parent == 1 and second.edits == (("spot-discount", "0.6"), ("general.capacity", "spot"))
    assert {group["capacity_type"] for group in second.document["node_groups"]} == {"spot"}
    session.set("headroom", "30")
    third = session.solve()
    comparison = session.comparison()
    assert comparison["current"]["plan"] == 3
    assert comparison["previous"]["plan"] == 2 and comparison["first"]["plan"] == 1
    assert comparison["previous"]["knobs_changed"] == {"headroom": ["0", "30"]}
    assert comparison["first"]["knobs_changed"] == {
        "general.capacity": ["on-demand", "spot"],
        "headroom": ["0", "30"],
        "spot-discount": ["none", "0.6"],
    }
    change = comparison["first"]["change"]
    assert change["nodes"] == third.summary.nodes - first.summary.nodes
    assert change["cost_per_month"] == round(third.summary.cost_per_month - first.summary.cost_per_month, 2)
    # Spot at 60% off is cheaper than on-demand for the same pods.
    assert second.summary.cost_per_month < first.summary.cost_per_month
    assert set(change["ip_headroom"]) == set(first.summary.ip_headroom)


def test_undo_drops_pending_then_returns_to_the_previous_plan_and_reopen(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    session.solve()
    session.set("headroom", "25")
    session.solve()
    session.set("max-nodes", "3")
    assert session.undo() == "dropped 1 pending edit"
    assert session.pending == [] and session.current_record.number == 2
    assert session.undo() == "back to plan #1"
    assert session.current_record.number == 1 and session.knob_values()["headroom"] == "0"
    with pytest.raises(InputError, match="nothing to undo"):
        session.undo()
    session.reopen(2)
    assert session.knob_values()["headroom"] == "25"
    # A plan made after going back is made from the plan that was current then.
    session.undo()
    session.set("zone-loss", "true")
    assert session.solve().parent == 1
    assert [record.number for record in session.history] == [1, 2, 3]
    with pytest.raises(InputError, match="there is no plan #9"):
        session.reopen(9)


def test_saved_config_reproduces_the_plan(tiny: Path, session_of, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Round trip: the eks-plan.yaml saved for a plan loads (schema and rules) and solves to the same plan."""
    from eks_plan.config import load_config
    from eks_plan.plan import validate_plan

    session = session_of(tiny)
    session.solve()
    session.set("families", "m7g,c7g")
    session.set("headroom", "15")
    record = session.solve()
    config_file = session.save_config(tmp_path / "what-if.yaml")
    plan_file = session.save_plan(tmp_path / "plan.json")
    assert session.saved
    text = config_file.read_text()
    assert text.startswith("# eks-plan.yaml written by `eks-plan explore`")
    config = load_config(config_file)
    assert config.headroom_percent == 15 and config.node_pools[0].instances.families == ("m7g", "c7g")
    again = session_of(tiny, config_file).solve()
    assert again.document["node_groups"] == record.document["node_groups"]
    assert again.document["cost_per_hour"] == record.document["cost_per_hour"]
    document = json.loads(plan_file.read_text())
    validate_plan(document, str(plan_file))
    assert document["node_groups"] == record.document["node_groups"]


def test_saving_is_atomic_and_refuses_a_missing_directory(tiny: Path, session_of, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    with pytest.raises(InputError, match="no plan yet"):
        session.save_plan(tmp_path / "plan.json")
    session.solve()
    with pytest.raises(InputError, match=r"the directory .* does not exist"):
        session.save_plan(tmp_path / "missing" / "plan.json")
    target = tmp_path / "plan.json"
    target.write_text("old")
    session.save_plan(target)
    assert json.loads(target.read_text())["node_count"] == session.current_record.summary.nodes
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".plan.json")] == []


def test_a_solve_is_cancelled_from_another_thread(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """The library's CancelToken stops a session's solve; the session keeps its last plan."""
    from eks_plan.solver.budget import Cancelled, CancelToken

    session = session_of(tiny)
    session.solve()
    session.set("headroom", "10")
    request = session.prepare()
    token = CancelToken()
    started = threading.Event()

    class Observer:
        def on_phase(self, message: str) -> None:
            started.set()
            token.cancel()  # cancelled from the solving thread's first progress report

        def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
            pass

    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            session.run(request, Observer(), token)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert started.is_set() and isinstance(outcome.get("error"), Cancelled)
    assert len(session.history) == 1 and session.pending == [("headroom", "10")]


def test_manifests_from_standard_input_are_refused(tiny: Path) -> None:
    from eks_plan.explore.session import Session

    with pytest.raises(InputError, match="not '-'"):
        Session.open(["-"])
