"""Autopilot group manager: keeps one Entra dynamic device group per Autopilot group tag.

Layers, each importing only from those below it (``import-linter`` enforces it, see
pyproject.toml):

- ``shell``: the imperative shell. Each way in (the timer's reconcile, a queue request, the
  command line, the permission grant) observes, plans with the core, applies, and reports.
- ``graph`` and ``storage``: the boundaries to Microsoft Graph and to Azure Storage; the only
  packages that import their SDKs.
- ``config``: settings, read once from the environment and validated.
- ``core``: the pure core: rules, names, the model, the catalogue, the planner, the request
  schema and answers. No I/O, no clock, no SDK types.
"""

__version__ = "0.2.0"
