"""Run every registered benchmark, or the ones named on the command line."""

from __future__ import annotations

import sys

from bench import discover


def main(argv: list[str]) -> int:
    found = discover()
    wanted = argv or list(found)
    unknown = [name for name in wanted if name not in found]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(found)}")
        return 2
    for name in wanted:
        print(f"== {name} ==", flush=True)
        found[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
