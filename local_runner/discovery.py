"""Read an app's functions from its ``func.FunctionApp``, as the worker's indexing does.

The v2 programming model keeps no function.json: the Python worker calls
``app.get_functions()`` and sends each function's bindings (the function.json
shape, ``get_dict_repr()``) to the host. The runner reads that same shape, so it
sees exactly what the host would, including generic bindings.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import BindingDirection

from local_runner.errors import ConfigurationError, UnsupportedBinding
from local_runner.settings import resolve_setting_expressions

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
    user_function: Callable[..., Any] = field(repr=False, compare=False)
    queue_name: str | None = None
    connection: str | None = None
    schedule: str | None = None
    run_on_startup: bool = False
    outputs: tuple[OutputBindingInfo, ...] = ()

    @property
    def is_async(self) -> bool:
        """Whether the worker would run it on its event loop rather than a thread."""
        return inspect.iscoroutinefunction(self.user_function)

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


def discover(app: func.FunctionApp, settings: Mapping[str, str]) -> dict[str, FunctionInfo]:
    """Every function of ``app`` by name; an unsupported trigger or binding fails here."""
    functions: dict[str, FunctionInfo] = {}
    for fn in app.get_functions():
        info = _function_info(fn, settings)
        _check_parameters(info)
        functions[info.name] = info
    return functions


def _function_info(fn: Any, settings: Mapping[str, str]) -> FunctionInfo:
    name = str(fn.get_function_name())
    bindings = [_resolved(b.get_dict_repr(), settings, name) for b in fn.get_bindings()]
    trigger = fn.get_trigger()
    trigger_dict = next(b for b in bindings if b["name"] == trigger.name)
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
        "user_function": fn.get_user_function(),
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
    if binding.get("type") != QUEUE_OUTPUT or binding.get("direction") != BindingDirection.OUT:
        raise UnsupportedBinding(
            f"function {function}: binding {binding.get('name')!r} of type "
            f"{binding.get('type')!r} ({binding.get('direction')}) is not emulated by the "
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


def _check_parameters(info: FunctionInfo) -> None:
    """Every parameter without a default must name a binding, as the worker checks at indexing."""
    bound = {info.trigger_name, "context", *(o.name for o in info.outputs)}
    for name, parameter in inspect.signature(info.user_function).parameters.items():
        if name not in bound and parameter.default is inspect.Parameter.empty:
            raise ConfigurationError(
                f"function {info.name}: parameter {name!r} is declared in Python but matches "
                "no binding"
            )
