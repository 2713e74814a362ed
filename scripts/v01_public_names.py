"""Write tests/data/v01_public_names.json: the module-level public names of v0.1.

Read from the v0.1 source tree in git (commit 83e443e), not from an installed copy:
every function, class and assigned name without a leading underscore, per module
(``logger`` left out). ``tests/test_public_paths.py`` checks that each still imports
from its v0.1 path.

    python scripts/v01_public_names.py            # rewrite the file
    python scripts/v01_public_names.py --check    # exit 1 if the file differs
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

V01 = "83e443e"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "v01_public_names.json"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def public_names(source: str) -> list[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return sorted(n for n in names if not n.startswith("_") and n != "logger")


def main() -> int:
    result: dict[str, list[str]] = {}
    for path in sorted(_git("ls-tree", "-r", "--name-only", V01, "extractor").split()):
        if not path.endswith(".py"):
            continue
        module = path[:-3].replace("/", ".").removesuffix(".__init__")
        names = public_names(_git("show", f"{V01}:{path}"))
        if names:
            result[module] = names
    text = json.dumps(result, indent=1)
    if "--check" in sys.argv:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
