"""Local runner: drive an Azure Functions (Python v2) app's functions against Azurite.

Test and demo tooling, not a replacement for the Functions host: use
``func start`` (Core Tools) for real use. See README.md beside this file.
"""

from local_runner.azurite import Azurite, AzuriteError, expand_development_storage
from local_runner.discovery import FunctionInfo, OutputBindingInfo
from local_runner.errors import ConfigurationError, DrainTimeout, RunnerError, UnsupportedBinding
from local_runner.host import LocalHost
from local_runner.outcome import InvocationOutcome
from local_runner.settings import QueueOptions

__all__ = [
    "Azurite",
    "AzuriteError",
    "ConfigurationError",
    "DrainTimeout",
    "FunctionInfo",
    "InvocationOutcome",
    "LocalHost",
    "OutputBindingInfo",
    "QueueOptions",
    "RunnerError",
    "UnsupportedBinding",
    "expand_development_storage",
]
