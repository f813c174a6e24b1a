"""The model: what was observed (``observed``) and what is wanted (``wanted``).

The project's own small types, imported from here by every other module; no SDK type crosses
this line. The plan between them, and its outcomes, is ``shared.core.plan``.
"""

from shared.core.model.observed import (
    DYNAMIC,
    GroupSnapshot,
    IntuneObject,
    IntuneView,
    Inventory,
    LedgerEntry,
    TargetHistory,
)
from shared.core.model.wanted import (
    MANAGED_MARK,
    PROVISIONING_CLIENT_APP_ID,
    AssignmentKind,
    Catalogue,
    GroupSpec,
    Kind,
    Scenario,
    Wanted,
    WantedGroup,
    fold,
    managed_description,
    scenario_of_description,
)

__all__ = [
    "DYNAMIC",
    "MANAGED_MARK",
    "PROVISIONING_CLIENT_APP_ID",
    "AssignmentKind",
    "Catalogue",
    "GroupSnapshot",
    "GroupSpec",
    "IntuneObject",
    "IntuneView",
    "Inventory",
    "Kind",
    "LedgerEntry",
    "Scenario",
    "TargetHistory",
    "Wanted",
    "WantedGroup",
    "fold",
    "managed_description",
    "scenario_of_description",
]
