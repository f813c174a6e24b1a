"""Scan infra/ with checkov (offline) and fail on any failed check, parsing error or bare skip.

checkov exits 0 when it cannot parse a file, so the verdict is read from its JSON summary, not its
exit code. Every skip must carry its reason (``// checkov:skip=ID:reason`` inside the resource).

    python tools/check_infra.py CHECKOV [FOLDER]
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def scan(checkov: str, folder: str) -> dict[str, Any]:
    """checkov's JSON report for the Bicep files of ``folder``."""
    command = [checkov, "-d", folder, "--framework", "bicep", "--skip-download", "-o", "json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(
            f"checkov gave no JSON report (exit code {completed.returncode})"
        ) from None
    if isinstance(report, list):  # one report per framework; only bicep was asked for
        [report] = report
    if "summary" not in report:  # nothing found to scan: a bare summary
        report = {"summary": report, "results": {}}
    return dict(report)


def problems(report: dict[str, Any]) -> list[str]:
    """What makes the scan fail, one line each (empty when it passes)."""
    summary, results = report["summary"], report.get("results", {})
    found = []
    if summary["resource_count"] == 0:
        found.append("no resource was scanned")
    if summary["parsing_errors"]:
        files = ", ".join(results.get("parsing_errors", [])) or "?"
        found.append(f"{summary['parsing_errors']} file(s) checkov could not parse: {files}")
    for check in results.get("failed_checks", []):
        found.append(f"FAILED {check['check_id']} {check['resource']}: {check['check_name']}")
    for check in results.get("skipped_checks", []):
        if not (check["check_result"].get("suppress_comment") or "").strip():
            found.append(f"SKIPPED without a reason: {check['check_id']} {check['resource']}")
    return found


def main(argv: list[str]) -> int:
    checkov, folder = argv[0], argv[1] if len(argv) > 1 else "infra"
    report = scan(checkov, folder)
    summary = report["summary"]
    for check in report.get("results", {}).get("skipped_checks", []):
        reason = check["check_result"].get("suppress_comment")
        print(f"skipped {check['check_id']} {check['resource']}: {reason}")
    print(
        f"checkov {summary['checkov_version']} on {folder}/: {summary['passed']} passed, "
        f"{summary['failed']} failed, {summary['skipped']} skipped, "
        f"{summary['parsing_errors']} parsing errors ({summary['resource_count']} resources)"
    )
    found = problems(report)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
