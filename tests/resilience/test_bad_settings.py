"""Bad settings stop the app at start, through ``function_app`` as the host loads it, with the
setting named. The table must cover every setting in ``shared.config.settings.SETTINGS``.
"""

from __future__ import annotations

import pytest

from shared.config.settings import SETTINGS, STORAGE_CONNECTION
from shared.core.errors import SettingsError
from tests.queue_app import load_function_app

# setting -> values that must stop the app
BAD_VALUES: dict[str, list[str]] = {
    "GRAPH_BASE_URL": [
        "graph.microsoft.com",
        "ftp://graph.microsoft.com/v1.0",
        "http://graph.microsoft.com/v1.0",
        "https://user:pass@graph.microsoft.com/v1.0",
        "https://graph.microsoft.com/v1.0?x=1",
    ],
    "RECONCILE_SCHEDULE": ["every 15 minutes", "0 */15 * * * * * *", "61 * * * * *"],
    "DRIFT_POLICY": ["fix", "ignore"],
    "RUN_MODE": ["dry-run", "yes"],
    "APPROVE_PLAN": ["yes", "sha256:xyz", "sha256:0123456789abcde"],
    "DELETED_GROUP_POLICY": ["recreate", "delete"],
    "MAX_NEW_GROUPS_PER_RUN": ["lots", "-1", "15001", "2.5"],
    "PURCHASE_ORDER_GROUPS": ["maybe", "2"],
    "ALL_DEVICES_GROUP": ["sometimes"],
    "SCENARIO_FILE": ["/nonexistent/scenarios.json"],
    "REQUEST_QUEUE": ["Requests", "a", "two--hyphens", "x" * 57, "-lead"],
    "RESULT_QUEUE": ["Results", "under_score", "autopilot-group-requests"],
    "GRAPH_MAX_RETRIES": ["many", "11", "-1"],
    "GRAPH_RETRY_DELAY_SECONDS": ["soon", "-1", "61", "nan", "inf"],
    "AZURE_CLIENT_ID": ["my-identity", "00000000-0000-0000-0000-00000000000"],
    STORAGE_CONNECTION: ["not a connection string"],
    f"{STORAGE_CONNECTION}__accountName": ["Bad_Name"],
    f"{STORAGE_CONNECTION}__queueServiceUri": ["http://storage.example.com"],
}


def test_the_table_covers_every_setting_the_app_reads():
    assert set(SETTINGS) <= set(BAD_VALUES)


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, values in BAD_VALUES.items() for value in values],
)
def test_a_bad_value_stops_the_app_at_start_naming_the_setting(name, value):
    with pytest.raises(SettingsError) as raised:
        load_function_app({name: value})
    assert raised.value.name == name
    assert name in str(raised.value)
