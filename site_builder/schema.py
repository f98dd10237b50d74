"""Generate the JSON Schema files in `schema/` from the content models."""
from __future__ import annotations

import json
from pathlib import Path

from .models import Case, Guide, NeedsAnalysis, Policy

SCHEMA_DIR = Path("schema")
SCHEMAS = {
    "case.schema.json": (Case, "A CIPnet case study"),
    "guide.schema.json": (Guide, "The CIPnet guide's front matter"),
    "policy.schema.json": (Policy, "A policy document of the guide's policy context"),
    "needs-analysis.schema.json": (NeedsAnalysis, "The needs-analysis survey behind the guide"),
}


def render_schemas() -> dict[str, str]:
    """Return the text of each schema file, keyed by file name."""
    out = {}
    for name, (model, title) in SCHEMAS.items():
        schema = model.model_json_schema()
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **{k: v for k, v in schema.items() if k != "title"}}
        out[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def stale_schemas(root: Path) -> dict[str, str]:
    """Return {file name: fresh text} for each schema file under `root` that is missing or out of date."""
    stale = {}
    for name, text in render_schemas().items():
        path = root / SCHEMA_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale[name] = text
    return stale


def write_schemas(root: Path) -> list[Path]:
    """Write the stale schema files under `root`; return their paths."""
    changed = []
    for name, text in stale_schemas(root).items():
        path = root / SCHEMA_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed
