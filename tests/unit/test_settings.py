"""Settings: read once, validated, frozen; a bad value fails naming its setting."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from shared.config.catalogue_file import SHIPPED_CATALOGUE
from shared.config.settings import (
    SETTINGS,
    Settings,
    StorageConnection,
    beta_url,
    is_loopback_host,
)
from shared.core.errors import SettingsError

CONNECTION_STRING = (
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;"
    "EndpointSuffix=core.windows.net"
)


def test_an_empty_environment_gives_the_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert settings.reconcile_schedule == "0 */15 * * * *"
    assert settings.drift_policy == "report"
    assert settings.max_new_groups_per_run == 25
    assert settings.purchase_order_groups is False
    assert settings.all_devices_group is True
    assert settings.scenario_file == SHIPPED_CATALOGUE
    assert settings.catalogue.keys()[0] == "user-driven"
    assert settings.request_queue == "autopilot-group-requests"
    assert settings.result_queue == "autopilot-group-results"
    assert settings.poison_queue == "autopilot-group-requests-poison"
    assert settings.graph_max_retries == 5
    assert settings.graph_retry_delay_seconds == 2.0
    assert settings.azure_client_id is None
    assert settings.storage is None
    assert settings.graph_is_loopback is False


def test_blank_values_fall_back_to_the_defaults() -> None:
    blank = Settings.from_env(dict.fromkeys(SETTINGS, "  "))
    assert blank == Settings.from_env({})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.drift_policy = "repair"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "attribute", "value"),
    [
        pytest.param(
            {"GRAPH_BASE_URL": "https://graph.microsoft.us/beta/"},
            "graph_base_url",
            "https://graph.microsoft.us/beta",
            id="graph url, trailing slash dropped",
        ),
        pytest.param(
            {"GRAPH_BASE_URL": "http://127.0.0.1:8080/v1.0"},
            "graph_base_url",
            "http://127.0.0.1:8080/v1.0",
            id="plain http to a loopback emulator",
        ),
        pytest.param(
            {"GRAPH_BASE_URL": "http://[::1]:8080/v1.0"},
            "graph_base_url",
            "http://[::1]:8080/v1.0",
            id="plain http to ipv6 loopback",
        ),
        pytest.param(
            {"RECONCILE_SCHEDULE": "0 30 9 * * MON-FRI"},
            "reconcile_schedule",
            "0 30 9 * * MON-FRI",
            id="schedule",
        ),
        pytest.param(
            {"RECONCILE_SCHEDULE": "*/5 * * * *"},
            "reconcile_schedule",
            "*/5 * * * *",
            id="five-field schedule",
        ),
        pytest.param({"DRIFT_POLICY": "Repair"}, "drift_policy", "repair", id="drift policy"),
        pytest.param({"MAX_NEW_GROUPS_PER_RUN": "0"}, "max_new_groups_per_run", 0, id="max 0"),
        pytest.param(
            {"MAX_NEW_GROUPS_PER_RUN": "15000"}, "max_new_groups_per_run", 15000, id="max 15000"
        ),
        pytest.param({"PURCHASE_ORDER_GROUPS": "Yes"}, "purchase_order_groups", True, id="yes"),
        pytest.param({"PURCHASE_ORDER_GROUPS": "1"}, "purchase_order_groups", True, id="1"),
        pytest.param({"ALL_DEVICES_GROUP": "off"}, "all_devices_group", False, id="off"),
        pytest.param({"ALL_DEVICES_GROUP": "FALSE"}, "all_devices_group", False, id="FALSE"),
        pytest.param({"REQUEST_QUEUE": "abc"}, "request_queue", "abc", id="3-character queue"),
        pytest.param(
            {"REQUEST_QUEUE": "q" * 56}, "request_queue", "q" * 56, id="56-character queue"
        ),
        pytest.param({"GRAPH_MAX_RETRIES": "10"}, "graph_max_retries", 10, id="10 retries"),
        pytest.param(
            {"GRAPH_RETRY_DELAY_SECONDS": "0.5"},
            "graph_retry_delay_seconds",
            0.5,
            id="fractional delay",
        ),
        pytest.param(
            {"AZURE_CLIENT_ID": " 0f8fad5b-d9cb-469f-a165-70867728950e "},
            "azure_client_id",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            id="client id",
        ),
    ],
)
def test_a_good_value_is_read(env: dict[str, str], attribute: str, value: object) -> None:
    assert getattr(Settings.from_env(env), attribute) == value


# (id, environment, the setting named)
BAD = [
    ("ftp url", {"GRAPH_BASE_URL": "ftp://x"}, "GRAPH_BASE_URL"),
    (
        "plain http to a remote host",
        {"GRAPH_BASE_URL": "http://graph.example.com"},
        "GRAPH_BASE_URL",
    ),
    (
        "plain http to a look-alike",
        {"GRAPH_BASE_URL": "http://localhost.evil.com"},
        "GRAPH_BASE_URL",
    ),
    ("not a url", {"GRAPH_BASE_URL": "not a url"}, "GRAPH_BASE_URL"),
    ("url without host", {"GRAPH_BASE_URL": "https:///v1.0"}, "GRAPH_BASE_URL"),
    (
        "url with query",
        {"GRAPH_BASE_URL": "https://graph.microsoft.com/v1.0?x=1"},
        "GRAPH_BASE_URL",
    ),
    (
        "url with credentials",
        {"GRAPH_BASE_URL": "https://u:p@graph.microsoft.com"},
        "GRAPH_BASE_URL",
    ),
    ("schedule of 3 fields", {"RECONCILE_SCHEDULE": "*/5 * *"}, "RECONCILE_SCHEDULE"),
    ("second 61", {"RECONCILE_SCHEDULE": "61 * * * * *"}, "RECONCILE_SCHEDULE"),
    ("drift policy fix", {"DRIFT_POLICY": "fix"}, "DRIFT_POLICY"),
    ("max -1", {"MAX_NEW_GROUPS_PER_RUN": "-1"}, "MAX_NEW_GROUPS_PER_RUN"),
    ("max ten", {"MAX_NEW_GROUPS_PER_RUN": "ten"}, "MAX_NEW_GROUPS_PER_RUN"),
    ("max 99999", {"MAX_NEW_GROUPS_PER_RUN": "99999"}, "MAX_NEW_GROUPS_PER_RUN"),
    ("max 2.5", {"MAX_NEW_GROUPS_PER_RUN": "2.5"}, "MAX_NEW_GROUPS_PER_RUN"),
    ("purchase orders maybe", {"PURCHASE_ORDER_GROUPS": "maybe"}, "PURCHASE_ORDER_GROUPS"),
    ("all devices 2", {"ALL_DEVICES_GROUP": "2"}, "ALL_DEVICES_GROUP"),
    ("queue with capitals", {"REQUEST_QUEUE": "Bad_Queue"}, "REQUEST_QUEUE"),
    ("queue of 1 character", {"REQUEST_QUEUE": "a"}, "REQUEST_QUEUE"),
    ("queue of 60 characters", {"REQUEST_QUEUE": "q" * 60}, "REQUEST_QUEUE"),
    ("queue of 57 characters", {"REQUEST_QUEUE": "q" * 57}, "REQUEST_QUEUE"),
    ("queue with double hyphen", {"REQUEST_QUEUE": "a--b"}, "REQUEST_QUEUE"),
    ("queue ending in hyphen", {"REQUEST_QUEUE": "abc-"}, "REQUEST_QUEUE"),
    ("result queue bad", {"RESULT_QUEUE": "Results"}, "RESULT_QUEUE"),
    (
        "result queue same as request",
        {"REQUEST_QUEUE": "same-q", "RESULT_QUEUE": "same-q"},
        "RESULT_QUEUE",
    ),
    (
        "result queue same as default request",
        {"RESULT_QUEUE": "autopilot-group-requests"},
        "RESULT_QUEUE",
    ),
    ("11 retries", {"GRAPH_MAX_RETRIES": "11"}, "GRAPH_MAX_RETRIES"),
    ("-1 retries", {"GRAPH_MAX_RETRIES": "-1"}, "GRAPH_MAX_RETRIES"),
    ("delay x", {"GRAPH_RETRY_DELAY_SECONDS": "x"}, "GRAPH_RETRY_DELAY_SECONDS"),
    ("delay 61", {"GRAPH_RETRY_DELAY_SECONDS": "61"}, "GRAPH_RETRY_DELAY_SECONDS"),
    ("delay nan", {"GRAPH_RETRY_DELAY_SECONDS": "nan"}, "GRAPH_RETRY_DELAY_SECONDS"),
    ("delay inf", {"GRAPH_RETRY_DELAY_SECONDS": "inf"}, "GRAPH_RETRY_DELAY_SECONDS"),
    ("storage string without =", {"AzureWebJobsStorage": "just-a-key"}, "AzureWebJobsStorage"),
    (
        "storage account name",
        {"AzureWebJobsStorage__accountName": "Bad_Name"},
        "AzureWebJobsStorage__accountName",
    ),
    (
        "storage http uri",
        {"AzureWebJobsStorage__queueServiceUri": "http://acct.queue.core.windows.net"},
        "AzureWebJobsStorage__queueServiceUri",
    ),
]


@pytest.mark.parametrize(("env", "name"), [pytest.param(e, n, id=i) for i, e, n in BAD])
def test_a_bad_value_fails_naming_its_setting(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert raised.value.name == name
    assert str(raised.value).startswith(f"setting {name}: ")


def test_a_missing_scenario_file_fails_naming_scenario_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"SCENARIO_FILE": str(missing)})
    assert raised.value.name == "SCENARIO_FILE"
    assert "does not exist" in str(raised.value)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{not json", id="bad JSON"),
        pytest.param(json.dumps({"version": 1, "scenarios": []}), id="no scenarios"),
    ],
)
def test_a_bad_scenario_file_fails_naming_scenario_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "scenarios.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"SCENARIO_FILE": str(path)})
    assert raised.value.name == "SCENARIO_FILE"
    assert str(path) in str(raised.value)


def test_a_good_scenario_file_is_used(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.json"
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    document["scenarios"] = document["scenarios"][:1]
    path.write_text(json.dumps(document), encoding="utf-8")
    settings = Settings.from_env({"SCENARIO_FILE": str(path)})
    assert settings.scenario_file == path
    assert settings.catalogue.keys() == ("user-driven",)


def catalogue_naming_a_profile(tmp_path: Path) -> Path:
    path = tmp_path / "scenarios.json"
    document = json.loads(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    document["scenarios"][0]["autopilotProfile"] = "User-driven profile"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("base", "beta"),
    [
        ("https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/beta"),
        ("https://graph.microsoft.us/v1.0/", "https://graph.microsoft.us/beta"),
        ("http://127.0.0.1:8123/v1.0", "http://127.0.0.1:8123/beta"),
    ],
)
def test_graph_beta_is_the_base_url_with_beta_for_its_version(
    tmp_path: Path, base: str, beta: str
) -> None:
    env = {"GRAPH_BASE_URL": base, "SCENARIO_FILE": str(catalogue_naming_a_profile(tmp_path))}
    assert beta_url(Settings.from_env(env).graph_base_url) == beta


def test_a_base_url_without_its_version_is_refused_only_when_a_scenario_names_a_profile(
    tmp_path: Path,
) -> None:
    odd = {"GRAPH_BASE_URL": "https://graph.example.test/api"}
    assert Settings.from_env(odd).graph_base_url == "https://graph.example.test/api"
    with pytest.raises(SettingsError, match=r"GRAPH_BASE_URL: must end with /v1\.0") as raised:
        Settings.from_env({**odd, "SCENARIO_FILE": str(catalogue_naming_a_profile(tmp_path))})
    assert raised.value.name == "GRAPH_BASE_URL"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        pytest.param("localhost", True, id="localhost"),
        pytest.param("LOCALHOST", True, id="LOCALHOST"),
        pytest.param("127.0.0.1", True, id="127.0.0.1"),
        pytest.param("127.1.2.3", True, id="127.1.2.3"),
        pytest.param("::1", True, id="::1"),
        pytest.param("[::1]", True, id="[::1]"),
        pytest.param("10.0.0.1", False, id="private address"),
        pytest.param("0.0.0.0", False, id="any address"),
        pytest.param("128.0.0.1", False, id="128.0.0.1"),
        pytest.param("graph.microsoft.com", False, id="graph"),
        pytest.param("localhost.evil.com", False, id="look-alike"),
        pytest.param("127.0.0.1.evil.com", False, id="look-alike address"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="None"),
    ],
)
def test_only_loopback_hosts_are_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_loopback_graph_url_is_known_as_loopback() -> None:
    settings = Settings.from_env({"GRAPH_BASE_URL": "http://localhost:5000/v1.0"})
    assert settings.graph_is_loopback is True


# --- the storage connection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "storage"),
    [
        pytest.param({}, None, id="none"),
        pytest.param({"AzureWebJobsStorage": "  "}, None, id="blank"),
        pytest.param(
            {"AzureWebJobsStorage": CONNECTION_STRING},
            StorageConnection(connection_string=CONNECTION_STRING),
            id="connection string",
        ),
        pytest.param(
            {"AzureWebJobsStorage": "UseDevelopmentStorage=true"},
            StorageConnection(connection_string="UseDevelopmentStorage=true"),
            id="development storage",
        ),
        pytest.param(
            {"AzureWebJobsStorage__accountName": "acct123"},
            StorageConnection(
                queue_service_uri="https://acct123.queue.core.windows.net",
                blob_service_uri="https://acct123.blob.core.windows.net",
            ),
            id="account name",
        ),
        pytest.param(
            {"AzureWebJobsStorage__queueServiceUri": "https://acct.queue.core.windows.net/"},
            StorageConnection(queue_service_uri="https://acct.queue.core.windows.net"),
            id="queue service uri",
        ),
        pytest.param(
            {"AzureWebJobsStorage__serviceUri": "https://acct.queue.core.windows.net"},
            StorageConnection(queue_service_uri="https://acct.queue.core.windows.net"),
            id="service uri alias",
        ),
        pytest.param(
            {
                "AzureWebJobsStorage__queueServiceUri": "https://uri.queue.core.windows.net",
                "AzureWebJobsStorage__accountName": "other",
            },
            StorageConnection(
                queue_service_uri="https://uri.queue.core.windows.net",
                blob_service_uri="https://other.blob.core.windows.net",
            ),
            id="queue service uri wins over account name",
        ),
        pytest.param(
            {"AzureWebJobsStorage__queueServiceUri": "http://127.0.0.1:10001/devstoreaccount1"},
            StorageConnection(queue_service_uri="http://127.0.0.1:10001/devstoreaccount1"),
            id="plain http to loopback Azurite",
        ),
        pytest.param(
            {
                "AzureWebJobsStorage__accountName": "acct123",
                "AzureWebJobsStorage__clientId": "client-1",
            },
            StorageConnection(
                queue_service_uri="https://acct123.queue.core.windows.net",
                blob_service_uri="https://acct123.blob.core.windows.net",
                client_id="client-1",
            ),
            id="user-assigned identity",
        ),
        pytest.param(
            {
                "AzureWebJobsStorage__queueServiceUri": "https://q.queue.core.windows.net",
                "AzureWebJobsStorage__blobServiceUri": "https://b.blob.core.windows.net/",
            },
            StorageConnection(
                queue_service_uri="https://q.queue.core.windows.net",
                blob_service_uri="https://b.blob.core.windows.net",
            ),
            id="blob service uri for the assignment locks",
        ),
        pytest.param(
            {
                "AzureWebJobsStorage": CONNECTION_STRING,
                "AzureWebJobsStorage__accountName": "acct123",
            },
            StorageConnection(connection_string=CONNECTION_STRING),
            id="connection string wins",
        ),
        pytest.param({"AzureWebJobsStorage__clientId": "client-1"}, None, id="client id alone"),
    ],
)
def test_the_storage_connection_follows_the_hosts_rules(
    env: dict[str, str], storage: StorageConnection | None
) -> None:
    assert Settings.from_env(env).storage == storage


def test_the_connection_string_never_appears_in_the_settings_repr() -> None:
    settings = Settings.from_env({"AzureWebJobsStorage": CONNECTION_STRING})
    assert settings.storage is not None
    assert settings.storage.connection_string == CONNECTION_STRING
    for text in (repr(settings), str(settings), repr(settings.storage)):
        assert CONNECTION_STRING not in text
        assert "c2VjcmV0LWtleQ==" not in text
