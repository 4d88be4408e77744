"""The committed front-end bundle: built from the current sources, offline, and shipped."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from toolkit.widgets.assets import BUNDLE_NAME, LOADER_NAME, bundle_problem, static_dir

REPO = Path(__file__).resolve().parents[2]
JS = REPO / "js"


def sources_digest() -> str:
    """The digest js/build.mjs writes on the bundle's first line (same files, same order)."""
    files = sorted(
        [f"src/{p.name}" for p in (JS / "src").iterdir()] + ["build.mjs", "package.json", "package-lock.json"]
    )
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode() + b"\0")
        h.update((JS / name).read_text(encoding="utf-8").replace("\r\n", "\n").encode() + b"\0")
    return h.hexdigest()


def test_the_bundle_is_built_from_the_current_sources():
    first_line = (static_dir() / BUNDLE_NAME).read_text(encoding="utf-8").split("\n", 1)[0]
    assert first_line == f"/* sources-sha256: {sources_digest()} */", "rebuild: cd js && npm ci && npm run build"


def test_the_bundle_fetches_nothing():
    text = (static_dir() / BUNDLE_NAME).read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'`)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"}, urls
    # Graphviz's wasm travels inside the bundle, handed to the module as bytes (never fetched);
    # the browser tests check at run time that no request leaves the page.
    assert "wasmBinary" in text and len(text) > 700_000


def test_each_widget_carries_a_few_kilobytes_and_the_package_ships_the_files():
    assert len((static_dir() / LOADER_NAME).read_bytes()) < 4000
    assert (static_dir() / "THIRD_PARTY_LICENSES.txt").read_text().count("Apache License") >= 1
    pyproject = (REPO / "pyproject.toml").read_text()
    package_data = re.search(r"^\[tool\.setuptools\.package-data\]\s*\ntoolkit\s*=\s*\[([^\]]*)\]", pyproject, re.M)
    assert package_data and '"widgets/static/*"' in package_data.group(1)
    assert bundle_problem() == ""


def test_a_missing_or_truncated_bundle_is_explained(tmp_path):
    assert "is missing" in bundle_problem(tmp_path) and "npm run build" in bundle_problem(tmp_path)
    (tmp_path / BUNDLE_NAME).write_text("x")
    assert "is truncated" in bundle_problem(tmp_path)


@pytest.mark.parametrize("pinned", ["@hpcc-js/wasm-graphviz", "esbuild"])
def test_the_build_pins_its_npm_packages(pinned):
    import json

    package = json.loads((JS / "package.json").read_text())
    version = package["devDependencies"][pinned]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{pinned} must be pinned exactly, not {version!r}"
    lock = json.loads((JS / "package-lock.json").read_text())
    assert lock["packages"][f"node_modules/{pinned}"]["version"] == version
