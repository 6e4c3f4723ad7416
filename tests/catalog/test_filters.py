"""One instance-type filter: eks-plan.yaml's ``instances`` and ``eks-plan catalog``'s flags agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.filters import ARCH_ALIASES, CatalogFilters, InstanceFilter, Range
from eks_plan.config import DEFAULT_INSTANCE_FILTER, build_config, config_schema, load_config
from eks_plan.errors import InputError


def pool_filter(instances: dict) -> InstanceFilter:
    """The filter of a node pool as eks-plan.yaml declares it (schema-checked, like a file)."""
    config = build_config({"nodePools": [{"name": "web", "instances": instances}]}, source=None)
    return config.node_pools[0].instances


@pytest.mark.parametrize(
    ("family", "arch"),
    [("m7*", "arm64"), ("c7g.*large", "aarch64"), ("m5", "x86_64"), ("r7?", "x86-64"), ("*.metal", "amd64")],
)
def test_catalog_flags_and_pool_filters_pick_the_same_types(family: str, arch: str) -> None:
    catalog = load_catalog()
    from_flags = {t.name for t in CatalogFilters(families=(family,), arch=arch).apply(catalog)}
    in_file = pool_filter({"families": [family], "arch": [arch]})
    from_file = {t.name for t in catalog if in_file.accepts_type(t)}
    assert from_flags == from_file
    assert from_flags  # every case selects something, so the comparison means something
    assert {t.arch for t in catalog if t.name in from_file} == {ARCH_ALIASES[arch]}


def test_family_globs_match_the_family_or_the_name() -> None:
    large_graviton = pool_filter({"families": ["c7g.*large"]})
    catalog = load_catalog()
    assert large_graviton.accepts_type(catalog.lookup("c7g.2xlarge"))
    assert (
        large_graviton.rejection_of(catalog.lookup("c7g.medium")) == "family 'c7g' is not one of c7g.*large"
    )
    assert pool_filter({"families": ["m7*"]}).accepts_type(catalog.lookup("m7i-flex.large"))


def test_architecture_aliases_are_the_schemas_and_are_stored_as_kubernetes_names() -> None:
    instance_filter = config_schema()["$defs"]["instanceFilter"]
    assert set(instance_filter["properties"]["arch"]["items"]["enum"]) == set(ARCH_ALIASES)
    assert pool_filter({"arch": ["x86_64", "aarch64"]}).architectures == ("amd64", "arm64")
    assert pool_filter({"arch": ["amd64", "x86_64"]}).to_dict() == {"arch": ["amd64"]}
    with pytest.raises(InputError, match="unknown architecture 'sparc'"):
        InstanceFilter(architectures=("sparc",))


def test_category_and_generation_come_from_the_catalogue() -> None:
    """u-3tb1 is generation 1 in the catalogue (Karpenter's label); a name-parsing filter said None."""
    catalog = load_catalog()
    high_memory = catalog.lookup("u-3tb1.56xlarge")
    assert (high_memory.category, high_memory.generation) == ("u", 1)
    any_generation = InstanceFilter(generation=Range(1, None))
    assert any_generation.accepts_type(high_memory)
    facts = {"vcpus": high_memory.vcpus, "memory_mib": high_memory.memory_mib, "arch": high_memory.arch}
    assert any_generation.rejection("u-3tb1.56xlarge", **facts) is None
    assert InstanceFilter(categories=("u",)).accepts("u-3tb1.56xlarge", **facts)
    unknown = InstanceFilter(generation=Range(3, None)).rejection(
        "z9q.large", vcpus=2, memory_mib=1, arch="amd64"
    )
    assert unknown == "generation unknown is not at least 3"


@pytest.mark.parametrize(
    "instance_filter",
    [
        DEFAULT_INSTANCE_FILTER,
        InstanceFilter(generation=Range(1, 4)),
        InstanceFilter(categories=("u", "inf", "g"), gpus=Range(None, 0)),
        InstanceFilter(families=("c7g.*large", "m7*"), exclude=("*.metal*",), memory_gib=Range(4, 64)),
    ],
)
def test_the_name_form_and_the_type_form_give_the_same_reason_for_every_type(
    instance_filter: InstanceFilter,
) -> None:
    for t in load_catalog():
        by_name = instance_filter.rejection(
            t.name, vcpus=t.vcpus, memory_mib=t.memory_mib, arch=t.arch, gpus=t.gpu_count
        )
        assert by_name == instance_filter.rejection_of(t), t.name


def test_a_pool_filter_from_a_file_takes_aliases_and_name_globs(tmp_path: Path) -> None:
    path = tmp_path / "eks-plan.yaml"
    path.write_text(
        "nodePools:\n  - name: arm\n    instances:\n      arch: [aarch64]\n      families: ['c7g.*large']\n",
        encoding="utf-8",
    )
    arm = load_config(path).node_pools[0].instances
    assert (arm.architectures, arm.families) == (("arm64",), ("c7g.*large",))
