"""The deployment templates, read as text: Bicep cannot be compiled here, so what matters is pinned.

- every app setting the app reads (``shared.config.settings.SETTINGS``) is set by the template,
  with the app's default as the parameter's default; every setting the template sets is read by
  the app or is one of a few host settings named below;
- no storage key, SAS, connection secret or Graph secret exists anywhere in the templates;
- the pieces that must agree do: queues, roles, azure.yaml (and its hooks on both systems), the
  parameters file and its azd names, .funcignore and the deployment page (docs/deployment.md);
- the run reports' container and reader role, and the three alerts with their queries in one
  variable (tests/unit/test_infra_network.py covers the private network).
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from shared.config.settings import SETTINGS, STORAGE_CONNECTION, Settings, _storage_connection
from tests.unit.bicep import (
    INFRA,
    ROOT,
    alert_literals,
    alert_queries,
    app_settings,
    bicep_text,
    literal,
    params,
    resource_block,
    resources_of_type,
    variant_text,
)

# Settings the template sets that the app's code does not read, and why.
HOST_SETTINGS = {
    # The Functions host's own storage connection and the queue bindings' (connection
    # "AzureWebJobsStorage"), identity-based. The app reads __accountName and __clientId too, for
    # its direct write of a last-delivery answer (checked below); __credential is the host's.
    f"{STORAGE_CONNECTION}__accountName",
    f"{STORAGE_CONNECTION}__credential",
    f"{STORAGE_CONNECTION}__clientId",
    # The host's Application Insights telemetry, Entra-authenticated.
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}
# On Flex Consumption these live in functionAppConfig (or do not exist); the platform refuses them.
FLEX_REFUSED = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    STORAGE_CONNECTION,  # a connection string: it would carry a key
}


def function_names() -> set[str]:
    """Names of the functions function_app.py registers (read, not imported: no settings needed)."""
    tree = ast.parse((ROOT / "function_app.py").read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.decorator_list
    }


def test_every_setting_the_app_reads_is_set_by_the_template():
    missing = set(SETTINGS) - set(app_settings())

    assert not missing, f"the template does not set {sorted(missing)}"


def test_every_setting_the_template_sets_is_read_by_the_app_or_is_a_named_host_setting():
    pause_switches = {f"AzureWebJobs.{name}.Disabled" for name in function_names()}

    unexplained = set(app_settings()) - set(SETTINGS) - HOST_SETTINGS - pause_switches

    assert not unexplained, f"nothing reads {sorted(unexplained)}"
    assert pause_switches <= set(app_settings()), "each function can be paused by a parameter"


def test_the_identity_based_storage_settings_are_what_the_app_reads_for_its_own_writes():
    connection = _storage_connection(
        {f"{STORAGE_CONNECTION}__accountName": "stapgabc", f"{STORAGE_CONNECTION}__clientId": "c1"}
    )

    assert connection is not None
    assert connection.queue_service_uri == "https://stapgabc.queue.core.windows.net"
    assert connection.client_id == "c1"
    assert connection.connection_string is None
    assert app_settings()[f"{STORAGE_CONNECTION}__credential"] == "'managedidentity'"


def test_each_parameter_behind_an_app_setting_defaults_to_the_apps_own_default():
    declared = params()
    checked = set()
    for name, expression in app_settings().items():
        param = re.fullmatch(r"(?:string\()?(\w+)\)?", expression)
        if name not in SETTINGS or not param or param.group(1) not in declared:
            continue
        _, default = declared[param.group(1)]
        assert default is not None, f"{name}: parameter {param.group(1)} has no default"
        assert literal(default) == SETTINGS[name], f"{name}: {default} != {SETTINGS[name]!r}"
        checked.add(name)

    assert checked == set(SETTINGS) - {"AZURE_CLIENT_ID"}


def test_graph_storage_and_monitoring_all_use_the_one_user_assigned_identity():
    settings = app_settings()
    client_id = "identity.properties.clientId"

    assert settings["AZURE_CLIENT_ID"] == client_id
    assert settings[f"{STORAGE_CONNECTION}__clientId"] == client_id
    assert client_id in settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
    assert "Authorization=AAD" in settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
    assert "type: 'UserAssigned'" in bicep_text()
    assert "type: 'UserAssignedIdentity'" in bicep_text()  # the deployment package, too


@pytest.mark.parametrize(
    "forbidden",
    [
        "listKeys(",
        "listkeys(",
        "listAccountSas(",
        "listServiceSas(",
        "AccountKey=",
        "SharedAccessKey",
        "SharedAccessSignature",
        "InstrumentationKey=",
        "@secure(",
        "clientSecret",
        "client_secret",
    ],
)
def test_no_storage_key_sas_or_secret_appears_in_the_templates(forbidden):
    assert forbidden.lower() not in bicep_text().lower()


def test_no_parameter_or_setting_could_carry_a_secret():
    secretish = re.compile(r"secret|password|key|token|sas|connection", re.IGNORECASE)
    named = [name for name in params() if secretish.search(name)]
    settings = [
        name
        for name in app_settings()
        if secretish.search(name) and name != "APPLICATIONINSIGHTS_CONNECTION_STRING"
    ]

    assert named == []
    assert settings == []


def test_keys_and_local_authentication_are_switched_off():
    text = bicep_text()

    assert "allowSharedKeyAccess: false" in text
    assert "allowBlobPublicAccess: false" in text
    assert "minimumTlsVersion: 'TLS1_2'" in text
    assert "DisableLocalAuth: true" in text  # Application Insights takes Entra tokens only
    assert text.count("properties: { allow: false }") == 2  # no FTP or SCM publishing passwords
    assert "allowSharedKeyAccess: true" not in text


def test_the_app_is_python_on_flex_consumption_without_the_settings_flex_refuses():
    text = bicep_text()

    assert "name: 'FC1'" in text and "tier: 'FlexConsumption'" in text
    assert "kind: 'functionapp,linux'" in text
    assert re.search(r"runtime: \{\s*name: 'python'\s*version: pythonVersion\s*\}", text)
    assert not FLEX_REFUSED & set(app_settings())


def test_the_template_makes_the_request_result_and_poison_queues_the_app_uses():
    defaults = Settings.from_env({})
    declared = params()
    text = bicep_text()

    assert literal(declared["requestQueueName"][1] or "") == defaults.request_queue
    assert literal(declared["resultQueueName"][1] or "") == defaults.result_queue
    assert "var poisonQueueName = '${requestQueueName}-poison'" in text
    assert defaults.poison_queue == f"{defaults.request_queue}-poison"
    for queue in ("requestQueueName", "resultQueueName", "poisonQueueName"):
        assert f"name: {queue}" in text


ROLES = {  # Microsoft's built-in role definition ids
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a": "Storage Queue Data Message Sender",
    "8a0f0c08-91a1-4084-bc3d-661d67233fed": "Storage Queue Data Message Processor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}


def test_only_data_roles_are_assigned_never_owner_or_contributor_on_the_resources():
    text = bicep_text()
    guids = set(
        re.findall(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'", text)
    )

    assert guids == set(ROLES)
    assignments = re.findall(r"roleDefinitions', roles\.(\w+)\)", text)
    assert sorted(assignments) == sorted(
        [
            "storageBlobDataOwner",
            "storageQueueDataContributor",
            "monitoringMetricsPublisher",
            "storageQueueDataMessageSender",  # ticketing system, on the request queue only
            "storageQueueDataMessageProcessor",  # ticketing system, on the result queue only
            "storageBlobDataReader",  # the report reader, on the report container only
        ]
    )


def test_the_ticketing_system_roles_are_scoped_to_single_queues_and_optional():
    text = bicep_text()

    sender = text[text.index("resource ticketingSender") :]
    processor = text[text.index("resource ticketingProcessor") :]
    assert "if (!empty(ticketingPrincipalId))" in sender.splitlines()[0]
    assert "scope: requestQueue" in sender[: sender.index("\n}")]
    assert "scope: resultQueue" in processor[: processor.index("\n}")]


def test_azure_yaml_deploys_this_folder_as_a_python_function_app_and_grants_after_provision():
    text = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    outputs = set(re.findall(r"^output (\w+) ", bicep_text(), re.MULTILINE))

    assert re.search(r"^  provider: bicep$", text, re.MULTILINE)
    assert re.search(r"^  path: infra$", text, re.MULTILINE)
    assert re.search(r"^    language: python$", text, re.MULTILINE)
    assert re.search(r"^    host: function$", text, re.MULTILINE)
    assert "'azd-service-name': 'app'" in bicep_text()
    used = set(re.findall(r"\$(?:env:)?\{?(AZURE_\w+)", text))
    assert used and used <= outputs
    assert "grant-permissions" in text


def test_the_parameters_file_names_only_declared_parameters_with_the_apps_defaults():
    data = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    settings = app_settings()

    assert set(data["parameters"]) <= set(params())
    assert data["parameters"]["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    for param, entry in data["parameters"].items():
        # azd's ${NAME=default}: an app setting's parameter is read from the azd environment
        # variable of the setting's own name, and falls back to the app's default.
        match = re.fullmatch(r"\$\{(\w+)(?:=(.*))?\}", entry["value"])
        assert match, f"{param}: {entry['value']!r}"
        name, default = match.groups()
        if name in SETTINGS:
            # An int parameter is set as its text: MAX_NEW_GROUPS_PER_RUN is string(maxNew...).
            assert settings[name] in (param, f"string({param})"), f"{name} is not {param}'s"
            assert default == SETTINGS[name], f"{param}: {default!r} != {SETTINGS[name]!r}"


def test_the_deployed_package_leaves_the_infrastructure_and_azd_state_out():
    ignored = (ROOT / ".funcignore").read_text(encoding="utf-8").split()

    assert {"infra", "azure.yaml", ".azure"} <= set(ignored)


def test_the_deployment_page_names_every_parameter_and_output():
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    outputs = re.findall(r"^output (\w+) ", bicep_text(), re.MULTILINE)

    missing = [name for name in [*params(), *outputs] if name not in page]

    assert not missing, f"docs/deployment.md does not mention {missing}"


def parameters_file() -> dict[str, str]:
    """Parameter → the azd expression main.parameters.json gives it."""
    data = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    return {param: entry["value"] for param, entry in data["parameters"].items()}


# One `azd env set NAME value` and `azd up` changes each (issues 18 and 20).
AZD_NAMES = {
    "RUN_MODE": "runMode",
    "APPROVE_PLAN": "approvePlan",
    "MAX_NEW_GROUPS_PER_RUN": "maxNewGroupsPerRun",
    "DRIFT_POLICY": "driftPolicy",
    "DELETED_GROUP_POLICY": "deletedGroupPolicy",
    "PAUSE_RECONCILE": "pauseReconcile",
    "PAUSE_REQUESTS": "pauseRequests",
    "ALERT_EMAIL": "alertEmail",
    "REPORT_READER_PRINCIPAL_ID": "reportReaderPrincipalId",
    "VNET_ENABLED": "vnetEnabled",
    "ALLOWED_IP_RANGES": "allowedIpRanges",
    "EXISTING_VNET_ID": "existingVnetId",
}


@pytest.mark.parametrize(("azd_name", "param"), sorted(AZD_NAMES.items()))
def test_an_azd_environment_value_sets_its_parameter(azd_name: str, param: str):
    assert parameters_file()[param].startswith(f"${{{azd_name}=")


def test_every_azd_default_in_the_parameters_file_is_the_templates_own_default():
    """azd substitutes ${NAME=default}; that default must not drift from the parameter's."""
    declared = params()
    for param, expression in parameters_file().items():
        match = re.fullmatch(r"\$\{\w+=(.*)\}", expression)
        if not match or param == "pythonVersion":  # pythonVersion: its own test (infra_python)
            continue
        _, default = declared[param]
        assert default is not None, f"{param} has no default in the template"
        assert match.group(1) == literal(default), f"{param}: {match.group(1)!r} != {default}"


def test_bool_parameters_from_azd_default_to_words_azd_turns_into_bools():
    """azd reads a bool parameter's text with Go's strconv.ParseBool (azure-dev,
    armParameterFileValue): 'true'/'false' work; a word it cannot read leaves the default."""
    declared = params()
    bools = [param for param in parameters_file() if declared[param][0] == "bool"]

    assert sorted(bools) == ["pauseReconcile", "pauseRequests", "vnetEnabled"]
    for param in bools:
        assert parameters_file()[param].endswith("=false}"), param
        assert declared[param][1] == "false", param


def test_a_first_deployment_runs_in_plan_mode():
    assert params()["runMode"] == ("string", "'plan'")
    assert re.search(r"@allowed\(\['plan', 'apply'\]\)\nparam runMode ", bicep_text())
    assert re.search(
        r"@allowed\(\['restore', 'report'\]\)\nparam deletedGroupPolicy ", bicep_text()
    )
    assert app_settings()["RUN_MODE"] == "runMode"
    assert app_settings()["APPROVE_PLAN"] == "approvePlan"
    assert app_settings()["DELETED_GROUP_POLICY"] == "deletedGroupPolicy"
    assert params()["approvePlan"] == ("string", "''")
    assert params()["deletedGroupPolicy"] == ("string", "'restore'")


def test_the_template_makes_the_report_container_and_can_give_one_reader_read_on_it_only():
    container = resource_block("reportContainer")
    reader = resource_block("reportReader")

    assert "var reportContainerName = 'autopilot-group-reports'" in bicep_text()
    assert "parent: blobService" in container and "publicAccess: 'None'" in container
    assert "if (!empty(reportReaderPrincipalId))" in reader.splitlines()[0]
    assert "scope: reportContainer" in reader
    assert "roles.storageBlobDataReader" in reader
    assert "principalType: reportReaderPrincipalType" in reader


ALERT_RULES = ["alertFailedRun", "alertFailedAnswer", "alertPoisoned"]


def test_there_are_three_alert_rules_on_application_insights_each_on_the_action_group():
    assert resources_of_type("Microsoft.Insights/scheduledQueryRules") == ALERT_RULES
    for rule in ALERT_RULES:
        block = resource_block(rule)
        assert "scopes: [appInsights.id]" in block, rule
        assert "actions: { actionGroups: [actionGroup.id] }" in block, rule
        assert re.search(r"evaluationFrequency: 'PT(5|15)M'", block), rule
        assert re.search(r"severity: [0-4]\n", block), rule
        assert "operator: 'GreaterThan'" in block and "threshold: 0" in block, rule


def test_every_alert_rule_uses_its_own_query_from_the_one_alert_queries_variable():
    used = [
        re.search(r"query: alertQueries\.(\w+)\n", resource_block(rule)) for rule in ALERT_RULES
    ]

    assert all(used), "an alert rule's query is not one of alertQueries"
    keys = [match.group(1) for match in used if match]
    assert sorted(keys) == sorted(alert_queries())  # each query used, none twice
    assert "query: '" not in bicep_text()  # no query written anywhere else


def test_the_alert_queries_match_log_lines_on_the_literals_agreed_with_the_app():
    """The app's log lines begin with exactly these texts (issue 18); the lead's test feeds the
    app's real lines to these literals."""
    assert alert_literals() == {
        "failedRun": ["reconcile run failed", "reconcile run unsafe"],
        "failedAnswer": ["request answered: failed"],
        "poisoned": ["request poisoned"],
    }
    assert (
        'requests | where name == "reconcile_groups" and success == false'
        in (alert_queries()["failedRun"])
    )
    assert "reconcile_groups" in function_names()


@pytest.mark.parametrize(("email", "receivers"), [("", "[]"), ("it@contoso.com", "adminEmail")])
def test_the_action_group_mails_only_when_an_email_is_given(email: str, receivers: str):
    group = resource_block("actionGroup", variant_text({"alertEmail": email}))

    assert f"emailReceivers: {receivers}" in group
    assert "enabled: true" in group


def test_the_action_group_and_alert_names_are_outputs():
    assert "output AZURE_ACTION_GROUP_NAME string = actionGroup.name" in bicep_text()
    outputs = bicep_text()[bicep_text().index("output AZURE_ALERT_RULE_NAMES array") :]
    assert [f"{rule}.name" for rule in ALERT_RULES] == re.findall(r"\b(alert\w+\.name)", outputs)


def hook(system: str) -> tuple[str, str]:
    """(shell, run script) of azure.yaml's postprovision hook for ``posix`` or ``windows``."""
    text = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    block = text[text.index(f"\n    {system}:\n") :]
    block = block[: block.index("continueOnError")]
    shell = re.search(r"\n      shell: (\w+)\n", block)
    run = re.search(r"\n      run: (\|\n(?:        .*\n)+|.*\n)", block)
    assert shell and run, f"azure.yaml has no complete {system} postprovision hook"
    script = run.group(1)
    if script.startswith("|"):
        script = "\n".join(line[8:] for line in script.splitlines()[1:])
    return shell.group(1), script


def test_the_grant_hook_has_a_posix_and_a_windows_form_that_run_the_same_command():
    commands = {}
    for system, variable in (("posix", '"$AZURE_IDENTITY_PRINCIPAL_ID"'), ("windows", None)):
        _, script = hook(system)
        match = re.search(r" -m shared ([\w-]+) --identity (\S+)", script)
        assert match, f"{system} hook runs no python -m shared command"
        commands[system] = match.group(1)
        if variable:
            assert match.group(2) == variable
        else:
            assert match.group(2) == "$env:AZURE_IDENTITY_PRINCIPAL_ID"

    assert commands == {"posix": "grant-permissions", "windows": "grant-permissions"}
    assert hook("posix")[0] == "sh" and hook("windows")[0] == "pwsh"


def test_the_windows_hook_needs_no_bash_or_make_and_falls_back_without_a_venv():
    _, script = hook("windows")

    assert "bash" not in script and "make " not in script
    assert "'Scripts\\python.exe'" in script  # the project venv on Windows
    order = [script.index(word) for word in ("$env:PYTHON", "Test-Path $venv", "python'", "'py'")]
    assert order == sorted(order), "PYTHON, then the venv, then python, then py -3"
    assert "@('-3')" in script
    assert script.count("Write-Host") == 2  # each fallback says which interpreter it took
    assert script.rstrip().endswith("exit $LASTEXITCODE")
