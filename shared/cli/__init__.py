"""The terminal commands, above the shell: ``python -m shared`` and what only it does.

- ``main``: the command line (plan, apply, request, grant-permissions, doctor);
- ``render``: the reconcile report as a table;
- ``doctor`` and ``doctor_checks``: the read-only preflight;
- ``grant``: an admin gives the app's managed identity its Graph application permissions.
"""
