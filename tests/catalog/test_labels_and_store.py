"""Node labels, catalogue look-ups, offerings, and the build script's reproducibility."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.labels import node_labels
from eks_plan.errors import InputError
from eks_plan.scheduling import labels as well_known
from eks_plan.scheduling.labels import label_key_hint
from tests.conftest import REPO_ROOT


def test_labels_of_a_gpu_node() -> None:
    p4d = load_catalog().lookup("p4d.24xlarge")
    labels = node_labels(p4d, region="us-east-1", zone="us-east-1b", capacity_type="on-demand",
                         node_style="karpenter",
                         pool_labels={"team": "ml", well_known.OS: "linux"})  # fmt: skip
    assert labels[well_known.INSTANCE_TYPE] == labels[well_known.BETA_INSTANCE_TYPE] == "p4d.24xlarge"
    assert labels[well_known.ZONE] == labels[well_known.LEGACY_ZONE] == "us-east-1b"
    assert labels[well_known.REGION] == "us-east-1"
    assert labels[well_known.CAPACITY_TYPE] == "on-demand"
    assert labels[well_known.INSTANCE_GPU_NAME] == "a100"
    assert labels[well_known.INSTANCE_GPU_MANUFACTURER] == "nvidia"
    assert labels[well_known.INSTANCE_GPU_COUNT] == "8"
    assert labels[well_known.INSTANCE_GPU_MEMORY] == "40960"
    assert labels[well_known.INSTANCE_GENERATION] == "4"
    assert labels[well_known.INSTANCE_LOCAL_NVME] == "8000"
    assert labels["team"] == "ml"
    # Every key is one the scheduling package knows (or the pool's own).
    assert [key for key in labels if label_key_hint(key, frozenset({"team"}))] == []


def test_labels_of_plain_and_metal_nodes() -> None:
    m5 = node_labels(load_catalog().lookup("m5.large"), region="us-east-1", zone="us-east-1a",
                     capacity_type="spot")  # fmt: skip
    assert well_known.INSTANCE_GPU_COUNT not in m5 and well_known.INSTANCE_LOCAL_NVME not in m5
    assert m5[well_known.INSTANCE_CPU_MANUFACTURER] == "intel"
    assert m5[well_known.INSTANCE_NETWORK_BANDWIDTH] == "750"
    metal = node_labels(load_catalog().lookup("c6g.metal"), region="us-east-1", zone="us-east-1a",
                        capacity_type="on-demand")  # fmt: skip
    assert metal[well_known.INSTANCE_HYPERVISOR] == "" and metal[well_known.ARCH] == "arm64"
    inf = node_labels(load_catalog().lookup("inf2.xlarge"), region="us-east-1", zone="us-east-1a",
                      capacity_type="on-demand")  # fmt: skip
    assert inf[well_known.INSTANCE_ACCELERATOR_NAME] == "inferentia2"
    with pytest.raises(InputError):
        node_labels(
            load_catalog().lookup("m5.large"), region="us-east-1", zone="us-east-1a", capacity_type="x"
        )


def test_catalog_collection() -> None:
    catalog = load_catalog()
    names = [t.name for t in catalog]
    assert names == sorted(names) and len(names) == len(catalog) == 1365
    assert catalog.get("m5.large") is catalog.lookup("m5.large")
    assert load_catalog() is catalog
    with pytest.raises(InputError, match=r"unknown instance type 'm5.lrge' \(did you mean 'm5.large'\?\)"):
        catalog.lookup("m5.lrge")
    assert {"us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"} <= set(catalog.regions())
    assert catalog.zones("us-east-1") == tuple(f"us-east-1{z}" for z in "abcdef")
    assert catalog.zones("us-gov-west-1") == ()
    assert [t.name for t in catalog.matching("m7i.*large")][:2] == ["m7i.12xlarge", "m7i.16xlarge"]
    # Types only moto knows, and types newer than moto, are both present with their facts.
    trn2 = catalog.lookup("trn2.3xlarge")
    assert (trn2.vcpus, trn2.accelerator_name, trn2.accelerator_count) == (12, "trainium2", 1)
    assert catalog.lookup("hpc7a.96xlarge").default_card_enis == 2


def test_offerings() -> None:
    catalog = load_catalog()
    m5 = catalog.lookup("m5.large")
    assert m5.zones_offered("us-east-1") == (
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
        "us-east-1d",
        "us-east-1f",
    )
    assert not m5.offered_in("us-east-1", "us-east-1e")
    assert not m5.offered_in("us-east-1", "us-west-2a")
    assert m5.offered_in("us-gov-west-1")  # priced there; zones unknown
    # A type that moto lists but not in ap-southeast-5 is known not to be sold there.
    missing = [t for t in catalog if t.offerings_complete and not t.offered_in("ap-southeast-5")]
    assert missing and missing[0].zones_offered("ap-southeast-5") == ()
    # A type newer than moto's data: sold where priced, unknown (assumed offered) elsewhere.
    c9g = catalog.lookup("c9g.large")
    assert not c9g.offerings_complete
    assert c9g.offered_in("us-east-1") and c9g.zones_offered("us-east-1") == catalog.zones("us-east-1")
    assert not c9g.offered_in("us-gov-west-1")  # the GovCloud price file does not list it
    assert c9g.offered_in("eu-west-1")


def test_info_records_origins(reference_dir: Path) -> None:
    """``info`` describes the catalogue it ships with and the reference files it was built from:
    the count is the catalogue's, every price file is a price region in its own currency, and every
    source file's checksum (and commit, where it came from a repository) are those of the file and
    README in ../shared/reference."""
    catalog = load_catalog()
    info = catalog.info
    assert info["instance_types"] == len(catalog)
    price_files = sorted(reference_dir.glob("ec2-ondemand-prices-*.tsv"))
    currencies = {}
    for path in price_files:
        header = path.read_text(encoding="utf-8").splitlines()[0].split("\t")
        [column] = [name for name in header if name.startswith("price_")]  # price_usd_per_hour
        currencies[path.stem.removeprefix("ec2-ondemand-prices-")] = column.split("_")[1].upper()
    assert price_files and info["price_regions"] == currencies
    assert set(catalog.price_regions()) == set(currencies)
    readme = (reference_dir / "README.md").read_text(encoding="utf-8")
    sources = info["sources"]
    files = {name: origin for name, origin in sources.items() if (reference_dir / name).is_file()}
    assert {"vpc-limits.tsv", "eni-max-pods.txt", "ec2-instance-specs.tsv"} <= set(files)
    for name, origin in files.items():
        assert origin["sha256"] == hashlib.sha256((reference_dir / name).read_bytes()).hexdigest(), name
        # A source taken from a git repository records its commit, which the reference README names;
        # one taken from a package (moto's EBS attachment data) records its origin instead.
        if "commit" in origin:
            assert origin["commit"] in readme, name
        else:
            assert name in readme and origin["origin"], name
    moto = pytest.importorskip("moto")
    assert sources["moto"]["version"] == moto.__version__


def test_committed_catalogue_is_what_the_build_script_makes(tmp_path: Path, reference_dir: Path) -> None:
    """Re-running the build on the same reference files gives the committed file (apart from its
    build date): the data never drifts from its sources."""
    pytest.importorskip("moto")
    committed = json.loads((REPO_ROOT / "data" / "catalog.json").read_text())
    output = tmp_path / "catalog.json"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_catalog.py"), "--reference", str(reference_dir),
         "--output", str(output), "--built-on", committed["info"]["built"]],
        check=True, capture_output=True,
    )  # fmt: skip
    rebuilt = json.loads(output.read_text())
    if rebuilt["info"]["sources"]["moto"] != committed["info"]["sources"]["moto"]:
        pytest.skip("a different moto version is installed than the one the catalogue was built with")
    assert rebuilt == committed
