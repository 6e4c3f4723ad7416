"""The commands are thin: flags parsed once (one enum helper), the work in library calls whose
results carry codes, not words to match."""

from __future__ import annotations

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import CniMode, NodeSettings, NodeStyle
from eks_plan.catalog.filters import CatalogFilters
from eks_plan.catalog.listing import list_types
from eks_plan.catalog.pricing import UNPRICED, CapacityType, PriceSettings, Pricing
from eks_plan.cli.catalog import SORT_KEYS
from eks_plan.cli.options import parse_choice
from eks_plan.errors import InputError
from eks_plan.report.catalog import SORT_COLUMNS


def test_the_sort_help_names_every_sort_column() -> None:
    assert ", ".join(SORT_COLUMNS) == SORT_KEYS


def test_one_helper_turns_a_flag_into_an_enum_or_a_message_naming_the_flag() -> None:
    assert parse_choice(CniMode, "ipv6", "--cni-mode") is CniMode.IPV6
    with pytest.raises(InputError, match="--cni-mode 'ipv4' is not one of secondary-ip, prefix-delegation"):
        parse_choice(CniMode, "ipv4", "--cni-mode")


def test_unpriced_types_are_a_coded_note_the_list_leaves_out() -> None:
    """A spot price with no discount and no price file is unknown: the note says so with a code and
    the capacity type; the list leaves out only the on-demand ones (its price column shows "-")."""
    catalog = load_catalog()
    pricing = Pricing(PriceSettings(region="us-east-1"), catalog)
    assert pricing.price_per_hour(catalog.lookup("m5.large"), CapacityType.SPOT) is None
    (note,) = pricing.notes
    assert (note.code, note.capacity_type) == (UNPRICED, CapacityType.SPOT)
    assert pricing.warnings == (note.message,) and note.message.startswith("no spot price in us-east-1")

    listing = list_types(
        catalog,
        CatalogFilters(families=("m5",), region="us-east-1"),
        NodeSettings(node_style=NodeStyle.KARPENTER),
        sort="vcpus",
        limit=2,
    )
    assert [row["name"] for row in listing.rows] == ["m5.large", "m5.xlarge"]
    assert listing.total > 2 and listing.title.startswith(f"2 of {listing.total} instance types in us-east-1")
    on_demand_unpriced = [n for n in listing.notes if (n.code, n.capacity_type) == (UNPRICED, "on-demand")]
    assert on_demand_unpriced == []


def test_flags_checked_at_parse_time_use_the_same_words() -> None:
    """The Typer callback (``--replicas``, ``export --to``) says what parse_choice says."""
    import typer

    from eks_plan.cli.options import choice_callback
    from eks_plan.manifests.model import ReplicaMode

    assert choice_callback(ReplicaMode, "--replicas")("max") == "max"
    with pytest.raises(typer.BadParameter, match="'most' is not one of min, declared, max"):
        choice_callback(ReplicaMode, "--replicas")("most")
    with pytest.raises(InputError, match="--replicas 'most' is not one of min, declared, max"):
        parse_choice(ReplicaMode, "most", "--replicas")
