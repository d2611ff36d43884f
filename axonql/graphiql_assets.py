"""Strawberry's GraphiQL page, read and edited here only; and its assets, fetched from npm.

The adapter for the page's undocumented text, written against strawberry-graphql==0.341.2
(pinned): its `<script>`/`<link>` tags loading `https://unpkg.com/<pkg>@<version>/<path>`
with an `integrity` hash (`ASSET_PATTERN`), and its `const EXAMPLE_QUERY = `…`;` welcome
document (`EXAMPLE_QUERY`). Contract tests: `tests/test_graphiql.py`, `tests/test_adapters.py`.

Run `python -m axonql.graphiql_assets` (`make install` does) to fetch what the page loads, so
no CDN is needed. The asset list is read from Strawberry's own page, so a Strawberry upgrade
that moves to new versions is picked up. Every file is checked against the page's
`integrity` hash before it is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

UNPKG = "https://unpkg.com/"
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
STAMP_NAME = ".fetched"
NPM_TIMEOUT_SECONDS = 300

ASSET_PATTERN = re.compile(
    r'(?:src|href)="https://unpkg\.com/'
    r"(?P<package>(?:@[^/@\"]+/)?[^/@\"]+)@(?P<version>[^/\"]+)/(?P<path>[^\"]+)\""
    r'\s+integrity="(?P<integrity>sha(?:256|384|512)-[A-Za-z0-9+/=]+)"'
)


# The page opens on GraphiQL's generic welcome text, held in this script constant.
EXAMPLE_QUERY = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)


class AssetError(RuntimeError):
    """The assets could not be fetched or did not match their integrity hash."""


@dataclass(frozen=True)
class Asset:
    """One file the page loads: `<package>@<version>/<path>`, with its SRI hash."""

    package: str
    version: str
    path: str
    integrity: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def relative(self) -> str:
        """The path after `https://unpkg.com/`, also the path under the vendor dir."""
        return f"{self.spec}/{self.path}"

    def matches(self, data: bytes) -> bool:
        algorithm, _, expected = self.integrity.partition("-")
        digest = hashlib.new(algorithm, data).digest()
        return base64.b64encode(digest).decode() == expected


def strawberry_page() -> str:
    return get_graphql_ide_html(graphql_ide="graphiql")


def _template_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def page_opening_on(document: str, html: str | None = None) -> str:
    """The GraphiQL page (Strawberry's unless given) opening on `document`."""
    literal = f"const EXAMPLE_QUERY = `{_template_literal(document)}`;"
    page, found = EXAMPLE_QUERY.subn(
        lambda _: literal, html if html is not None else strawberry_page(), count=1
    )
    if not found:
        raise AssetError("Strawberry's GraphiQL page has no EXAMPLE_QUERY; has it changed?")
    return page


def page_assets(html: str | None = None) -> list[Asset]:
    """Every unpkg file referenced by the GraphiQL page (Strawberry's unless given)."""
    found = [
        Asset(m["package"], m["version"], m["path"], m["integrity"])
        for m in ASSET_PATTERN.finditer(html if html is not None else strawberry_page())
    ]
    if not found:
        raise AssetError("no unpkg assets found in Strawberry's GraphiQL page; has it changed?")
    return found


def asset_file(asset: Asset, vendor_dir: Path = VENDOR_DIR) -> Path:
    return vendor_dir / asset.relative


def missing_assets(vendor_dir: Path = VENDOR_DIR) -> list[Asset]:
    """Assets absent from the vendor dir or whose content does not match the page's hash."""
    result = []
    for asset in page_assets():
        target = asset_file(asset, vendor_dir)
        if not target.is_file() or not asset.matches(target.read_bytes()):
            result.append(asset)
    return result


def npm_pack(specs: list[str], destination: Path) -> dict[str, Path]:
    """`npm pack` each `pkg@version` into destination; returns spec → tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is required to fetch GraphiQL's assets (apt-get install npm, or install Node.js)"
        )
    command = [npm, "pack", *specs, "--json", "--pack-destination", str(destination)]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=NPM_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AssetError(f"npm pack timed out after {NPM_TIMEOUT_SECONDS} s") from exc
    if completed.returncode != 0:
        raise AssetError(f"npm pack {' '.join(specs)} failed:\n{completed.stderr.strip()}")
    packed = json.loads(completed.stdout)
    tarballs = {
        f"{entry['name']}@{entry['version']}": destination / entry["filename"] for entry in packed
    }
    absent = [spec for spec in specs if spec not in tarballs]
    if absent:
        raise AssetError(f"npm pack did not produce {', '.join(absent)}")
    return tarballs


def extract(asset: Asset, tarball: Path, vendor_dir: Path) -> None:
    """Copies `package/<path>` out of the tarball after checking its integrity hash."""
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.extractfile(f"package/{asset.path}")
        except KeyError:
            member = None
        if member is None:
            raise AssetError(f"{tarball.name} has no file {asset.path}")
        data = member.read()
    if not asset.matches(data):
        raise AssetError(f"{asset.relative} does not match the page's integrity hash")
    target = asset_file(asset, vendor_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)


def ensure_assets(vendor_dir: Path = VENDOR_DIR) -> list[Asset]:
    """Fetches whatever is missing or fails its hash (nothing if all verify); returns that."""
    needed = missing_assets(vendor_dir)
    if needed:
        specs = sorted({asset.spec for asset in needed})
        with tempfile.TemporaryDirectory(prefix="axonql-graphiql-") as tmp:
            tarballs = npm_pack(specs, Path(tmp))
            for asset in needed:
                extract(asset, tarballs[asset.spec], vendor_dir)
    vendor_dir.mkdir(parents=True, exist_ok=True)
    (vendor_dir / STAMP_NAME).touch()
    return needed


def main() -> int:
    try:
        fetched = ensure_assets()
    except AssetError as exc:
        print(f"axonql.graphiql_assets: {exc}", file=sys.stderr)
        return 1
    total = len(page_assets())
    print(f"GraphiQL assets in {VENDOR_DIR}: {total} verified, {len(fetched)} fetched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
