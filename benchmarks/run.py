"""`make bench`: run the benchmark modules of this folder, one after another, in this process.

Every ``benchmarks/bench_*.py`` is a benchmark module with ``main(argv) -> int``; a new one is
picked up by its name alone. Each prints its own report; a module that crashes is reported and
makes the exit status 1, a missed performance target does not (the benchmarks are a report).

Usage:
    .venv/bin/python benchmarks/run.py                 # every module
    .venv/bin/python benchmarks/run.py reference       # bench_reference.py only
    .venv/bin/python benchmarks/run.py reference -- --quick   # arguments after -- go to the modules
"""
from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def discover():
    """The benchmark modules, in name order."""
    return sorted(HERE.glob("bench_*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(f"convgrade_benchmarks.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    module_args = argv[argv.index("--") + 1:] if "--" in argv else []
    names = argv[:argv.index("--")] if "--" in argv else argv
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # `import reference` from a checkout, installed or not
    paths = [p for p in discover() if not names or p.stem in names or p.stem.removeprefix("bench_") in names]
    if not paths:
        print(f"no benchmark module matches {names}; have {[p.stem for p in discover()]}")
        return 2
    status = 0
    for path in paths:
        print(f"\n===== {path.name} =====", flush=True)
        start = time.perf_counter()
        try:
            rc = load(path).main(module_args) or 0
        except Exception:  # one broken module must not hide the others' reports
            traceback.print_exc()
            rc = 1
        print(f"===== {path.name}: done in {time.perf_counter() - start:.1f} s (exit {rc}) =====", flush=True)
        status = max(status, rc)
    return status


if __name__ == "__main__":
    sys.exit(main())
