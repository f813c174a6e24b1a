"""The worker protocol's messages, compiled from ``worker_protocol.proto`` on first use.

The library worker (``azure_functions_runtime``) does not ship the protocol's message types: the
Functions host's proxy worker hands it a generated module as ``properties["protos"]``. The runner
and the tests stand in for that proxy, so they compile the messages the worker uses (stated in
``worker_protocol.proto``, written for this project) with protoc from grpcio-tools, once per
process, into a temporary folder, and import the result. Python 3.13+ only, like the worker.
"""

from __future__ import annotations

import atexit
import functools
import importlib.resources
import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

from local_runner.errors import RunnerError

PROTO = Path(__file__).resolve().parent / "worker_protocol.proto"


class ProtocolError(RunnerError):
    """The protocol's messages could not be compiled or imported."""


@functools.cache
def protos() -> ModuleType:
    """The generated message module (``StreamingMessage``, ``TypedData``, ...), one per process.

    Cached: protobuf registers each message in a process-wide pool, so the file may be loaded once.
    """
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise ProtocolError(
            "the library worker's messages need grpcio-tools (Python 3.13+): "
            "pip install -r requirements-dev.txt"
        ) from e
    out = Path(tempfile.mkdtemp(prefix="worker-protocol-"))
    atexit.register(shutil.rmtree, out, True)
    includes = importlib.resources.files("grpc_tools") / "_proto"
    code = protoc.main(
        ["protoc", f"-I{PROTO.parent}", f"-I{includes}", f"--python_out={out}", str(PROTO)]
    )
    if code != 0:
        raise ProtocolError(f"protoc could not compile {PROTO.name} (exit code {code})")
    name = f"{PROTO.stem}_pb2"
    spec = importlib.util.spec_from_file_location(name, out / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ProtocolError(f"protoc wrote no module for {PROTO.name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
