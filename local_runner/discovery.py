"""An app's functions as the host sees them: the bindings the worker indexed, resolved.

The v2 programming model keeps no function.json: the Python worker imports ``function_app.py``,
calls ``app.get_functions()`` and sends the host each function's bindings as raw JSON
(``RpcFunctionMetadata.raw_bindings``, the function.json shape). The host resolves ``%SETTING%``
expressions in them and starts a listener per trigger. ``describe`` is that host side; its input
comes either from Microsoft's library worker (``library_invoker.py``, Python 3.13+) or from
``index_in_process``, which reads ``get_raw_bindings()`` itself, as the worker would.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func

from local_runner.errors import ConfigurationError, UnsupportedBinding
from local_runner.settings import resolve_setting_expressions

# Each function's bindings as the worker sends them to the host, by function name.
RawFunctions = Mapping[str, Sequence[Mapping[str, Any]]]

TIMER_TRIGGER = "timerTrigger"
QUEUE_TRIGGER = "queueTrigger"
QUEUE_OUTPUT = "queue"
RETURN_BINDING = "$return"

# Storage queue names: 3-63 characters, lowercase letters, digits and single dashes.
_MAX_QUEUE_NAME = 63


@dataclass(frozen=True)
class OutputBindingInfo:
    """A queue output binding: the parameter (or ``$return``) and where it writes."""

    name: str
    queue_name: str
    connection: str


@dataclass(frozen=True)
class FunctionInfo:
    """One function as the host sees it, with ``%SETTING%`` expressions resolved."""

    name: str
    trigger_type: str
    trigger_name: str
    queue_name: str | None = None
    connection: str | None = None
    schedule: str | None = None
    run_on_startup: bool = False
    outputs: tuple[OutputBindingInfo, ...] = ()

    @property
    def poison_queue_name(self) -> str | None:
        """The host's poison queue for this trigger, or None where the host has none.

        The host adds no poison queue to a queue that already ends in ``-poison``
        or whose name would grow past 63 characters.
        """
        if self.queue_name is None or self.queue_name.endswith("-poison"):
            return None
        name = f"{self.queue_name}-poison"
        return name if len(name) <= _MAX_QUEUE_NAME else None


def load_app(app: str | func.FunctionApp | ModuleType) -> func.FunctionApp:
    """The ``FunctionApp`` given, or the one a module (by name) defines as ``app``."""
    if isinstance(app, func.FunctionApp):
        return app
    module = importlib.import_module(app) if isinstance(app, str) else app
    candidates = [v for v in vars(module).values() if isinstance(v, func.FunctionApp)]
    if len(candidates) != 1:
        raise ConfigurationError(
            f"module {module.__name__} must define exactly one func.FunctionApp, "
            f"found {len(candidates)}"
        )
    return candidates[0]


def app_folder(app: str | func.FunctionApp | ModuleType) -> Path:
    """The folder of the app's module (where host.json lives), or the working folder."""
    module: ModuleType | None = None
    if isinstance(app, ModuleType):
        module = app
    elif isinstance(app, str):
        module = importlib.import_module(app)
    if module is not None and getattr(module, "__file__", None):
        return Path(str(module.__file__)).resolve().parent
    return Path.cwd()


def index_in_process(app_functions: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """What the worker's indexing sends the host, read in this process (Python 3.11 and 3.12)
    from ``app.get_functions()`` (which may be called once per app).

    As the worker does, a Python parameter that names no binding fails here.
    """
    functions: dict[str, list[dict[str, Any]]] = {}
    for fn in app_functions:
        name = str(fn.get_function_name())
        bindings = [json.loads(raw) for raw in fn.get_raw_bindings()]
        _check_parameters(name, fn.get_user_function(), bindings)
        functions[name] = bindings
    return functions


def describe(functions: RawFunctions, settings: Mapping[str, str]) -> dict[str, FunctionInfo]:
    """Every function as the host sees it; an unsupported trigger or binding fails here."""
    return {name: _function_info(name, bindings, settings) for name, bindings in functions.items()}


def discover(app: func.FunctionApp, settings: Mapping[str, str]) -> dict[str, FunctionInfo]:
    """``describe`` of what ``index_in_process`` reads from ``app``."""
    return describe(index_in_process(app.get_functions()), settings)


def _is_trigger(binding: Mapping[str, Any]) -> bool:
    # As the host: a binding whose type ends in "Trigger" is the function's trigger.
    return str(binding.get("type", "")).lower().endswith("trigger")


def _function_info(
    name: str, raw: Sequence[Mapping[str, Any]], settings: Mapping[str, str]
) -> FunctionInfo:
    bindings = [_resolved(b, settings, name) for b in raw]
    triggers = [b for b in bindings if _is_trigger(b)]
    if len(triggers) != 1:
        raise ConfigurationError(f"function {name}: expected one trigger, found {len(triggers)}")
    trigger_dict = triggers[0]
    trigger_type = str(trigger_dict["type"])
    if trigger_type not in (TIMER_TRIGGER, QUEUE_TRIGGER):
        raise UnsupportedBinding(
            f"function {name}: trigger {trigger_type!r} is not emulated by the local runner "
            f"(supported: {TIMER_TRIGGER}, {QUEUE_TRIGGER})"
        )
    outputs = tuple(_output_info(b, name) for b in bindings if b is not trigger_dict)
    common: dict[str, Any] = {
        "name": name,
        "trigger_type": trigger_type,
        "trigger_name": str(trigger_dict["name"]),
        "outputs": outputs,
    }
    if trigger_type == TIMER_TRIGGER:
        return FunctionInfo(
            **common,
            schedule=_required(trigger_dict, "schedule", name),
            run_on_startup=bool(trigger_dict.get("runOnStartup") or False),
        )
    return FunctionInfo(
        **common,
        queue_name=_queue_name(trigger_dict, name),
        connection=str(trigger_dict.get("connection") or ""),
    )


def _output_info(binding: Mapping[str, Any], function: str) -> OutputBindingInfo:
    direction = str(binding.get("direction", "")).upper()
    if binding.get("type") != QUEUE_OUTPUT or direction != "OUT":
        raise UnsupportedBinding(
            f"function {function}: binding {binding.get('name')!r} of type "
            f"{binding.get('type')!r} ({direction}) is not emulated by the "
            f"local runner (supported: {QUEUE_OUTPUT} output)"
        )
    return OutputBindingInfo(
        name=str(binding["name"]),
        queue_name=_queue_name(binding, function),
        connection=str(binding.get("connection") or ""),
    )


def _resolved(
    binding: Mapping[str, Any], settings: Mapping[str, str], function: str
) -> dict[str, Any]:
    """The binding with ``%SETTING%`` replaced in every string value but its name and type."""
    resolved: dict[str, Any] = {}
    for key, value in binding.items():
        if isinstance(value, str) and key not in ("name", "type"):
            where = f"function {function}, binding {binding.get('name')}.{key}"
            value = resolve_setting_expressions(value, settings, where)
        resolved[key] = value
    return resolved


def _required(binding: Mapping[str, Any], key: str, function: str) -> str:
    value = binding.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"function {function}: binding {binding['name']} needs {key}")
    return value


def _queue_name(binding: Mapping[str, Any], function: str) -> str:
    name = _required(binding, "queueName", function)
    if "{" in name:
        raise UnsupportedBinding(
            f"function {function}: queue name {name!r} uses a binding expression in braces, "
            "which the local runner does not emulate"
        )
    valid = 3 <= len(name) <= _MAX_QUEUE_NAME and all(
        c.islower() or c.isdigit() or c == "-" for c in name
    )
    if not valid or name.startswith("-") or name.endswith("-") or "--" in name:
        raise ConfigurationError(
            f"function {function}: {name!r} is not a valid queue name (3-63 lowercase "
            "letters, digits and single dashes)"
        )
    return name


def _check_parameters(
    name: str, user_function: Callable[..., Any], bindings: Sequence[Mapping[str, Any]]
) -> None:
    """Every parameter without a default must name a binding, as the worker checks at indexing."""
    bound = {"context", *(str(b.get("name")) for b in bindings)}
    for parameter_name, parameter in inspect.signature(user_function).parameters.items():
        if parameter_name not in bound and parameter.default is inspect.Parameter.empty:
            raise ConfigurationError(
                f"function {name}: parameter {parameter_name!r} is declared in Python but "
                "matches no binding"
            )
