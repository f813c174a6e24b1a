"""The Graph emulator in a process of its own, driven over its stdin and stdout.

On a 2-core machine an in-process emulator would share the measured process's interpreter (and
its GIL): every page it serves would be counted as the app's time. A spawned child keeps its CPU
off the measured process, as Graph's would be, while the parent can still reset the tenant and
read the request log between runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

JsonDict = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    status: int


def serve(commands: IO[str], answers: IO[str]) -> None:
    """The child's loop: one JSON command a line in, one JSON answer a line out."""
    from graph_emulator import Emulator, generate_tenant

    emulator: Emulator | None = None

    def answer(value: Any = None, error: str | None = None) -> None:
        answers.write(json.dumps({"value": value, "error": error}) + "\n")
        answers.flush()

    for line in commands:
        command, args = json.loads(line)
        if command == "stop":
            break
        if command == "load":
            if emulator is not None:
                emulator.stop()
            tenant = generate_tenant(
                args["devices"],
                args["tags"],
                args["seed"],
                scenario_profiles=args.get("scenario_profiles", False),
            )
            emulator = Emulator(
                tenant, page_size=args["page_size"], group_page_size=args["group_page_size"]
            )
            emulator.start()
            answer(emulator.base_url)
        elif emulator is None:
            answer(error="no tenant loaded")
        elif command == "requests":
            answer([[r.method, r.path, r.query, r.status] for r in emulator.requests])
        elif command == "clear":
            emulator.clear_requests()
            answer()
        elif command == "groups":
            answer(emulator.groups())
        elif command == "permissions":
            emulator.set_permissions(args["permissions"])
            answer()
        elif command == "intune":
            answer(
                {
                    "profiles": [
                        {**p, "assignments": emulator.profile_assignments(p["id"])}
                        for p in emulator.autopilot_profiles()
                    ],
                    "configurations": [
                        {**c, "assignments": emulator.esp_assignments(c["id"])}
                        for c in emulator.enrollment_configurations()
                    ],
                }
            )
        elif command == "latency":
            emulator.faults.set_latency(args["seconds"])
            answer()
        else:
            answer(error=f"unknown command {command!r}")
    if emulator is not None:
        emulator.stop()


class EmulatorProcess:
    """``load()`` a synthetic tenant, then point the app at ``base_url``."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.emulator_proc"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = ""

    @property
    def pid(self) -> int:
        """The emulator's process id (its CPU time is read from /proc by the queue benchmark)."""
        return self._process.pid

    def _call(self, command: str, **args: Any) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps([command, args]) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited ({self._process.poll()})")
        answer = json.loads(line)
        if answer["error"]:
            raise RuntimeError(answer["error"])
        return answer["value"]

    def load(
        self,
        devices: int,
        tags: int,
        seed: int,
        page_size: int = 1000,
        group_page_size: int = 100,
        scenario_profiles: bool = False,
    ) -> str:
        """A fresh tenant (the previous one is dropped); returns the base URL."""
        self.base_url = self._call(
            "load",
            devices=devices,
            tags=tags,
            seed=seed,
            page_size=page_size,
            group_page_size=group_page_size,
            scenario_profiles=scenario_profiles,
        )
        return self.base_url

    def set_permissions(self, permissions: list[str]) -> None:
        self._call("permissions", permissions=permissions)

    def intune(self) -> JsonDict:
        """Every profile and enrollment configuration, each with its assignments."""
        result: JsonDict = self._call("intune")
        return result

    def requests(self) -> list[Request]:
        return [Request(*row) for row in self._call("requests")]

    def clear_requests(self) -> None:
        self._call("clear")

    def groups(self) -> list[JsonDict]:
        result: list[JsonDict] = self._call("groups")
        return result

    def set_latency(self, seconds: float) -> None:
        """Hold every request this long before answering it, as Graph's round trip would."""
        self._call("latency", seconds=seconds)

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(["stop", {}]) + "\n")
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
