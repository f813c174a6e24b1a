"""Autopilot group manager: keeps one Entra dynamic device group per Autopilot group tag.

Layout (observe, plan, apply):

- ``settings``, ``catalogue``: what is wanted, read and validated once.
- ``rules``, ``naming``: how a wanted group is written (rule, names, identity key).
- ``planner``: the pure core; decides create/adopt/repair/unchanged/skip from observations.
- ``graph``: the only module that speaks to Microsoft Graph (msgraph-sdk).
- ``storage``: the only module that speaks to Azure Storage queues.
- ``reconcile``, ``scenario_request``: the imperative shell the functions and the CLI call.
"""
