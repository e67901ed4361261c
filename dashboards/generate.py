"""Write the dashboards' JSON to ``dashboards/json/<uid>.json``, or check that it is current."""

from __future__ import annotations

from pathlib import Path

from dashboards import builders
from dashboards.common import to_json

JSON_DIR = Path(__file__).parent / "json"


def rendered() -> dict[str, str]:
    """Each dashboard's JSON text, by file name (``<uid>.json``)."""
    out: dict[str, str] = {}
    for make in builders().values():
        board = make()
        text = to_json(board)
        out[f"{board.build().uid}.json"] = text
    return out


def generate(out_dir: Path = JSON_DIR) -> list[Path]:
    """Write every dashboard; remove JSON files of dashboards that no longer exist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = rendered()
    written = []
    for name, text in files.items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # whole file or nothing: never a half-written dashboard
        written.append(path)
    for stale in out_dir.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    return written


def drift(out_dir: Path = JSON_DIR) -> list[str]:
    """What regenerating would change: one line per missing, changed or stale file."""
    files = rendered()
    problems = []
    for name, text in files.items():
        path = out_dir / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from the code")
    problems += [f"{p}: no dashboard generates it" for p in sorted(out_dir.glob("*.json")) if p.name not in files]
    return problems
