"""Print the closing line of each pytest suite that ``make test`` ran, and their total.

    python tools/suite_summary.py PYTHON=LOG [PYTHON=LOG ...]

PYTHON is the interpreter a suite ran on (its version is printed), LOG the saved pytest output.
A LOG that starts with ``SKIPPED`` stands for a suite left out on purpose, and says why.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def closing_line(log: str) -> str:
    """pytest's last line: ``940 passed, 14 skipped in 99.52s (0:01:39)``."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else "no output"


def counts(line: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for number, word in _COUNT.findall(line):
        found["errors" if word.startswith("error") else word] += int(number)
    return found


def version(python: str) -> str:
    command = [python, "-c", "import platform; print(platform.python_version())"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str]) -> int:
    total: Counter[str] = Counter()
    print("test suites:")
    for argument in argv:
        python, _, log_path = argument.partition("=")
        log = Path(log_path).read_text(encoding="utf-8")
        if log.startswith("SKIPPED"):
            print(f"  {log.strip()}")
            continue
        line = closing_line(log)
        total += counts(line)
        print(f"  python {version(python)}: {line}")
    print(
        f"total: {total['passed']} passed, {total['failed'] + total['errors']} failed, "
        f"{total['skipped']} skipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
