"""Extract every documented REST example of the five API references into contract files.

    python -m tests.contract.extract [SEEDS_DIR]    # rewrites tests/contract/<api>.json

Each reference is found through the index in `SEEDS_DIR/README.md` (default
`../shared/seeds/` beside the repository) by its API's title. A documented path is a line
`METHOD /path[?query]` (also as NexusNet's "**Endpoint**: `METHOD /path`"); its section runs
to the next such line or the next top-level heading. In a section, the first complete JSON
value before a "Response" label is the example request, the first after it the example
response ("first complete": the SynapticOS reference repeats fragments of its blocks, which
never parse). `{...}` and `[...]` placeholders become an empty object and array: the
document promises the type, not the keys. A `Status Codes` list is kept per path.

Headers a reference documents for the whole API (`X-RateLimit-*`) apply to every path; the
drift API's page headers apply to the paths that return lists (a top-level array).

A few paths have no readable example (`HAND_WRITTEN`): their entries are written here by
hand, marked `"hand_written": true` with the reason.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEEDS = REPO.parent / "shared" / "seeds"

# API name → the words its row in the references' index starts its title with.
TITLES = {
    "synapticos": "SynapticOS",
    "octospine": "OCTOSPINE",
    "lukhas": "LUKHAS",
    "nexusnet": "NexusNet",
    "drift": "AI Personality Drift Simulation",
}

ENDPOINT = re.compile(r"^(?:\*\*Endpoint\*\*:\s*`)?(GET|POST|PUT|DELETE|PATCH) (/[^\s`]*)`?\s*$")
SECTION_END = re.compile(r"^(#{1,2} |WebSocket )")
RESPONSE_LABEL = re.compile(r"^[*\s]*Response\W*$")
STATUS_LINE = re.compile(r"^- `(\d{3})`")
HEADER_NAME = re.compile(
    r"\b(X-RateLimit-[A-Za-z-]+|X-Total-Count|X-Page-[A-Za-z]+|X-Current-Page)\b"
)
PAGE_HEADERS = ("X-Total-Count", "X-Page-Count", "X-Current-Page", "X-Page-Size")
ERROR_LABEL = re.compile(r"^(#+ )?(Error Response( Format)?|Custom Error Codes)\s*$")
ENVELOPE_LABEL = re.compile(r"^## Response Format\s*$")

# Paths whose example the extractor cannot read, written by hand.
HAND_WRITTEN: dict[tuple[str, str, str], dict[str, Any]] = {
    ("octospine", "PUT", "/api/tasks/{task_id}"): {
        "why": "the reference shows the request only; the response is the standard envelope"
        " around the updated task, with the fields the request changed",
        "response": {
            "success": True,
            "data": {
                "id": "task_123456789",
                "name": "Updated Data Processing Task",
                "priority": "medium",
                "parameters": {
                    "source": "api",
                    "destination": "database",
                    "transformations": ["clean", "validate", "enrich", "aggregate"],
                },
            },
        },
    },
    ("octospine", "DELETE", "/api/tasks/{task_id}"): {
        "why": "the reference shows the request only; the response is the standard envelope"
        " around the deleted task's id",
        "response": {"success": True, "data": {"id": "task_123456789", "deleted": True}},
    },
    ("lukhas", "POST", "/matriz/stage/{stage_name}"): {
        "why": "the reference elides the stage's input and context (`{...}`); the example"
        " sends a text input, an empty context and the documented stage configuration",
        "request": {
            "input_data": {"text": "Explain quantum entanglement in simple terms"},
            "context": {},
            "stage_config": {
                "memory": {"depth": 3, "emotional_context": True},
                "attention": {"focus_type": "analytical", "pattern_weights": [0.7, 0.3]},
                "thought": {"reasoning_mode": "symbolic", "glyph_processing": True},
                "risk": {
                    "guardian_threshold": 0.15,
                    "ethics_frameworks": ["constitutional", "utilitarian"],
                },
                "intent": {"auth_required": True, "lambda_id_verification": True},
                "action": {"response_type": "cognitive", "output_format": "structured"},
            },
        },
    },
    ("drift", "GET", "/api/v1/data/export"): {
        "why": "the response is a file, not JSON: the reference documents its headers; the"
        " example asks for CSV, the first documented format",
        "query": {"format": "csv"},
        "response": None,
        "response_headers": ["Content-Disposition"],
    },
}


def reference_files(seeds: Path) -> dict[str, Path]:
    """API name → its reference document, from the index table in `README.md`."""
    found: dict[str, Path] = {}
    for line in (seeds / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        for name, title in TITLES.items():
            if cells[1].startswith(title):
                found[name] = seeds / cells[0]
    missing = set(TITLES) - set(found)
    if missing:
        raise SystemExit(f"no reference for {sorted(missing)} in {seeds / 'README.md'}")
    return found


def _normalised(text: str) -> str:
    text = re.sub(r"\{\s*\.\.\.\s*\}", "{}", text)
    text = re.sub(r"\[\s*\.\.\.\s*\]", "[]", text)
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def first_json(lines: list[str]) -> Any:
    """The first complete JSON object or array in `lines` (fragments never parse), or None."""
    for start, line in enumerate(lines):
        if not line.strip().startswith(("{", "[")):
            continue
        for end in range(start, len(lines)):
            if end > start and lines[end].strip().startswith("```"):
                break  # a fence before the value closed: a fragment, try the next start
            try:
                return json.loads(_normalised("\n".join(lines[start : end + 1])))
            except json.JSONDecodeError:
                continue
    return None


def _section(lines: list[str], start: int) -> list[str]:
    out: list[str] = []
    for line in lines[start:]:
        if ENDPOINT.match(line.strip()) or SECTION_END.match(line):
            break
        out.append(line)
    return out


def _split_query(target: str) -> tuple[str, dict[str, str]]:
    path, _, query = target.partition("?")
    pairs = (part.partition("=") for part in query.split("&") if part)
    return path, {key: value for key, _, value in pairs}


def _path_entry(section: list[str], method: str, target: str) -> dict[str, Any]:
    path, query = _split_query(target)
    labels = [i for i, line in enumerate(section) if RESPONSE_LABEL.match(line)]
    split = labels[0] if labels else len(section)
    statuses: list[int] = []
    for i, line in enumerate(section):
        if "Status Codes" in line:
            for follow in section[i + 1 :]:
                found = STATUS_LINE.match(follow.strip())
                if found:
                    statuses.append(int(found.group(1)))
                elif follow.strip():
                    break
    return {
        "method": method,
        "path": path,
        "query": query,
        "request": first_json(section[:split]),
        "response": first_json(section[split + 1 :]) if labels else None,
        "status": next((s for s in statuses if 200 <= s < 300), None),
        "statuses": statuses,
        "response_headers": [],
        "hand_written": False,
    }


def _returns_list(response: Any) -> bool:
    return isinstance(response, dict) and any(isinstance(v, list) for v in response.values())


def _labelled_json(lines: list[str], label: re.Pattern[str]) -> Any:
    for i, line in enumerate(lines):
        if label.match(line.strip()):
            found = first_json(lines[i + 1 :])
            if found is not None:
                return found
    return None


def extract_api(name: str, text: str) -> dict[str, Any]:
    """The contract of one API from its reference's text."""
    lines = text.splitlines()
    headers = sorted(set(HEADER_NAME.findall(text)))
    everywhere = [h for h in headers if h not in PAGE_HEADERS]
    for_lists = [h for h in headers if h in PAGE_HEADERS]
    paths: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    chapter = ""
    for i, line in enumerate(lines):
        if line.startswith("## "):
            chapter = line
        found = ENDPOINT.match(line.strip())
        if not found or "GraphQL" in chapter:  # OCTOSPINE's GraphQL endpoint is not REST
            continue
        entry = _path_entry(_section(lines, i + 1), found.group(1), found.group(2))
        key = (entry["method"], entry["path"])
        if key in seen:  # a repeated copy of a block already read
            continue
        seen.add(key)
        hand = HAND_WRITTEN.get((name, *key))
        if hand is not None:
            entry.update({k: v for k, v in hand.items() if k != "why"})
            entry["hand_written"] = True
            entry["why"] = hand["why"]
        entry["headers"] = everywhere + (for_lists if _returns_list(entry["response"]) else [])
        paths.append(entry)
    return {
        "api": name,
        "generated_by": "python -m tests.contract.extract",
        "error": _labelled_json(lines, ERROR_LABEL),
        "envelope": _labelled_json(lines, ENVELOPE_LABEL),
        "paths": paths,
    }


def extract(seeds: Path = SEEDS) -> dict[str, dict[str, Any]]:
    """API name → its contract, from the references in `seeds`."""
    files = reference_files(seeds)
    return {name: extract_api(name, files[name].read_text()) for name in TITLES}


def unreadable(contracts: dict[str, dict[str, Any]]) -> list[str]:
    """Paths with neither an example request nor response that were not written by hand."""
    return [
        f"{name} {p['method']} {p['path']}"
        for name, contract in contracts.items()
        for p in contract["paths"]
        if p["response"] is None and not p["hand_written"]
    ]


def dumps(contract: dict[str, Any]) -> str:
    return json.dumps(contract, indent=2, ensure_ascii=False) + "\n"


def contract_path(name: str) -> Path:
    return HERE / f"{name}.json"


def load(name: str) -> dict[str, Any]:
    """The committed contract of one API."""
    data: dict[str, Any] = json.loads(contract_path(name).read_text())
    return data


def main(argv: list[str]) -> int:
    seeds = Path(argv[1]) if len(argv) > 1 else SEEDS
    contracts = extract(seeds)
    for name, contract in contracts.items():
        contract_path(name).write_text(dumps(contract))
        print(f"{name}: {len(contract['paths'])} paths")
    missing = unreadable(contracts)
    for path in missing:
        print(f"unreadable, write it by hand: {path}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
