"""`python -m benchmarks NAME [args]`: run one benchmark and print one JSON line."""

import importlib
import inspect
import json
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    folder = str(Path(__file__).parent)
    return sorted(m.name for m in pkgutil.iter_modules([folder]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] not in names:
        if argv and argv[0] not in ("-h", "--help"):
            print(f"unknown benchmark '{argv[0]}'", file=sys.stderr)
        print("usage: python -m benchmarks NAME [args]", file=sys.stderr)
        print("benchmarks: " + ", ".join(names), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    name, args = argv[0], argv[1:]
    module = importlib.import_module(f"benchmarks.{name}")
    run = module.run
    result = run(args) if args or inspect.signature(run).parameters else run()
    line = {"name": result.pop("name", name)}
    line.update(result)
    print(json.dumps(line, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
