"""The project's own errors: one tree, every class in ``shared/`` on it.

The split that matters is transient versus permanent: a transient error is worth retrying later
(the queue function re-raises it so the host redelivers the message), a permanent one is not (the
request is answered and the message completed). Failures of the SDKs are translated into these at
the boundary (``raise ... from error``); a test checks this drawing against the classes.

    AppError                     shared.core.errors
    ├── SettingsError            bad or missing setting; names the setting
    ├── CatalogueError           bad scenario catalogue; names the file and the entry
    ├── ScheduleError            not an NCRONTAB schedule (shared.config.ncrontab)
    ├── UnsafeValueError         a value a rule cannot hold without doubt (shared.core.rules)
    ├── InvalidRequest           not a valid version 1 request (shared.core.request_schema)
    ├── UnsafePlanError          the plan creates more groups than allowed in one run
    ├── ReconcileFailed          a timer run did not finish cleanly (shared.shell.bootstrap)
    ├── QueueCheckError          a queue cannot be read (shared.storage.queues)
    ├── DoctorSurprise           Graph answered, not as documented (shared.cli.doctor_reads)
    ├── GrantError               a grant cannot be made as asked (shared.cli.grant)
    │   └── AdminRightsError     the admin's sign-in may not grant app roles (shared.cli.grant)
    ├── TransientError           worth retrying later (also every TransientGraphError)
    │   ├── RetryLater           deliver the message again (shared.shell.request_handler)
    │   ├── LockBusyError        another writer held an assignment lock for too long
    │   └── StorageError         the host's storage account did not answer as asked
    └── GraphError
        ├── TransientGraphError  throttled, unavailable, timed out, connection dropped
        ├── SignInError          no token: no sign-in, a missing Azure CLI, a refused login
        └── PermanentGraphError  Graph refused the request; retrying will not help
            └── PermissionDeniedError  403; names the application permission to grant
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error this project raises on purpose."""


class SettingsError(AppError):
    """A setting is missing or invalid. The message names the setting."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")
        self.name = name
        self.problem = problem


class CatalogueError(AppError):
    """The scenario catalogue cannot be used."""


class UnsafePlanError(AppError):
    """A plan would create more groups than MAX_NEW_GROUPS_PER_RUN allows; nothing is applied."""

    def __init__(self, creates: int, limit: int, digest: str) -> None:
        super().__init__(
            f"unsafe plan: it creates {creates} groups, more than MAX_NEW_GROUPS_PER_RUN={limit}; "
            f"nothing was applied. Its digest is {digest}: to apply exactly this plan, set "
            f"APPROVE_PLAN={digest} (or check the group tags, raise the limit, or apply with "
            "--force)"
        )
        self.creates = creates
        self.limit = limit
        self.digest = digest


class TransientError(AppError):
    """Something that may work if tried again later."""


class LockBusyError(TransientError):
    """An assignment lock stayed taken longer than a writer waits for it."""


class StorageError(TransientError):
    """A call to the host's storage account failed (the assignment ledger or its locks)."""


class GraphError(AppError):
    """A Microsoft Graph request failed."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class TransientGraphError(GraphError, TransientError):
    """Graph could not answer now (429, 503, 504, timeout, dropped connection): retry later."""


class SignInError(GraphError):
    """No token could be had for Graph (the credential failed); the message says why."""


class PermanentGraphError(GraphError):
    """Graph refused the request as such; retrying the same request will not help."""


class PermissionDeniedError(PermanentGraphError):
    """Graph answered 403: the app's identity lacks an application permission."""

    def __init__(self, permission: str, operation: str) -> None:
        super().__init__(
            f"Microsoft Graph denied {operation} (403): grant the application permission "
            f"{permission} to the app's identity and give the consent time to apply",
            status=403,
            code="Authorization_RequestDenied",
        )
        self.permission = permission
        self.operation = operation
