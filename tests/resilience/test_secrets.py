"""Secrets stay secret: a run with a credential, a storage connection string and a token logs and
reports none of their values; the development token never goes to a host that is not loopback.

Everything runs on loopback (a private Azurite with its own account key, the Graph emulator): no
request in this file may leave the machine.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

from local_runner import Azurite
from shared.config.settings import Settings
from shared.core.errors import PermanentGraphError, SettingsError
from shared.graph.client import DEVELOPMENT_TOKEN, LoopbackTokenProvider, build_client
from shared.graph.gateway import GraphGateway
from shared.shell.memory import HandmadeGroups
from shared.shell.reconcile import run_reconcile
from shared.shell.request_handler import Delivery, RequestContext, handle_message
from shared.storage.queues import queue_client, send_text_async
from tests.builders import device
from tests.queue_app import QueueApp, environment

TOKEN = "eyJ0eXAi.SECRET-GRAPH-TOKEN-7f3a9c.sig"
ACCOUNT = "secretacct"
ACCOUNT_KEY = base64.b64encode(b"SECRET-ACCOUNT-KEY-2b8d41-do-not-log").decode()


class FakeCredential:
    """A TokenCredential whose token is recognisable wherever it might leak."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        return AccessToken(TOKEN, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def secret_azurite() -> Iterator[Azurite]:
    """A private Azurite whose only account has a key of our own (AZURITE_ACCOUNTS)."""
    with environment({"AZURITE_ACCOUNTS": f"{ACCOUNT}:{ACCOUNT_KEY}"}), Azurite() as instance:
        yield instance


def connection_string(azurite: Azurite) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"QueueEndpoint=http://127.0.0.1:{azurite.port}/{ACCOUNT};"
    )


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret value leaked: ...{secret[-8:]}"


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as formatted, plus its raw arguments (a formatter could print those)."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


def test_a_run_with_a_credential_and_a_connection_string_logs_and_reports_neither(
    secret_azurite, emulator, caplog
):
    caplog.set_level(logging.DEBUG)
    secret_connection = connection_string(secret_azurite)
    emulator.add_devices([device("SALES-UD"), device("HR-SD")])
    settings = Settings.from_env(
        {
            "GRAPH_BASE_URL": emulator.base_url,
            "GRAPH_RETRY_DELAY_SECONDS": "0",
            "GRAPH_MAX_RETRIES": "0",
            "AzureWebJobsStorage": secret_connection,
            "RESULT_QUEUE": "secret-results",
        }
    )
    credential = FakeCredential()
    outputs: list[str] = [repr(settings), str(settings)]

    async def run() -> None:
        async with GraphGateway.from_settings(settings, credential) as gateway:  # type: ignore[arg-type]
            report = await run_reconcile(settings, apply=True, gateway=gateway)
            outputs.extend([json.dumps(report.to_dict()), report.summary()])
            context = RequestContext(
                wanted=settings.wanted(),
                gateway=gateway,
                handmade=HandmadeGroups(),
                send_failed=partial(
                    send_text_async, queue_client(settings.storage, settings.result_queue)
                ),
            )
            body = json.dumps({"requestId": "INC-1", "scenario": "user-driven", "groupTag": "A-UD"})
            outputs.append(await handle_message(body.encode(), Delivery("m1", 1, 5, "p"), context))
            # A request that exhausts its deliveries writes its answer with the connection string.
            emulator.faults.script("503", path="groups", count=100)
            body = json.dumps({"requestId": "INC-2", "scenario": "user-driven", "groupTag": "B-UD"})
            try:
                await handle_message(body.encode(), Delivery("m2", 5, 5, "p"), context)
            except Exception as error:
                outputs.append(repr(error))
            emulator.faults.clear()

    asyncio.run(run())

    assert credential.calls > 0  # the credential's token really was used
    client = queue_client(settings.storage, settings.result_queue)
    written = [m.content for m in client.peek_messages(max_messages=32)]
    assert len(written) == 1  # the failed answer, written through the secret connection
    everything = "\n".join([logged(caplog), *outputs, *map(str, written)])
    assert_no_secret(everything, TOKEN, ACCOUNT_KEY, secret_connection)


def test_the_function_app_on_a_secret_connection_logs_no_part_of_it(
    secret_azurite, emulator, caplog
):
    caplog.set_level(logging.DEBUG)
    secret_connection = connection_string(secret_azurite)
    emulator.add_devices([device("SALES-UD")])
    app = QueueApp.start(secret_connection, emulator.base_url, GRAPH_MAX_RETRIES="0")
    try:
        timer = app.host.fire_timer()
        app.send({"requestId": "INC-1", "scenario": "user-driven", "groupTag": "SALES-UD"})
        outcomes = app.host.drain(timeout=60)
        emulator.faults.script("503", path="groups", count=100)
        app.send({"requestId": "INC-2", "scenario": "user-driven", "groupTag": "FAIL-UD"})
        outcomes += app.host.drain(timeout=60)
        emulator.faults.clear()
        results, poison = app.results(), app.poison()
    finally:
        app.close()
    assert timer.status == "succeeded"
    assert sorted(r["status"] for r in results) in (["exists", "failed"], ["created", "failed"])
    assert len(poison) == 1
    texts = [repr(o) for o in [timer, *outcomes]] + [json.dumps(r) for r in results]
    everything = "\n".join([logged(caplog), *texts])
    assert_no_secret(everything, ACCOUNT_KEY, secret_connection)


# --- the development token ---------------------------------------------------------------------


def request_to(url: str) -> RequestInformation:
    info = RequestInformation(Method.GET, url)
    info.url = url
    return info


@pytest.mark.parametrize(
    "url",
    [
        "https://graph.microsoft.com/v1.0/groups",
        "http://graph.microsoft.com/v1.0/groups",
        "http://127.0.0.1.nip.io/v1.0/groups",
        "http://localhost.example.com/v1.0/groups",
        "http://0.0.0.0:8080/v1.0/groups",
        "http://10.0.0.1/v1.0/groups",
        "http://[::ffff:10.0.0.1]/v1.0/groups",
        "http://LOCALHOST.:8080/v1.0/groups",
    ],
)
def test_the_development_token_is_refused_to_a_host_that_is_not_loopback(url):
    info = request_to(url)
    with pytest.raises(PermanentGraphError, match="not a loopback host"):
        asyncio.run(LoopbackTokenProvider().authenticate_request(info))
    assert "Authorization" not in info.headers.get_all()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/v1.0/x", "http://localhost:1/x", "http://[::1]:1/x"]
)
def test_the_development_token_goes_to_loopback(url):
    info = request_to(url)
    asyncio.run(LoopbackTokenProvider().authenticate_request(info))
    assert info.headers.get("Authorization") == {f"Bearer {DEVELOPMENT_TOKEN}"}


def test_a_non_loopback_graph_url_never_gets_the_development_token_provider():
    settings = Settings.from_env({"GRAPH_BASE_URL": "https://graph.microsoft.com/v1.0"})
    client, _ = build_client(settings, FakeCredential())  # type: ignore[arg-type]
    provider = client.request_adapter._authentication_provider
    assert not isinstance(provider, LoopbackTokenProvider)


def test_plain_http_to_a_non_loopback_graph_is_a_settings_error():
    with pytest.raises(SettingsError, match="GRAPH_BASE_URL"):
        Settings.from_env({"GRAPH_BASE_URL": "http://graph.example.com/v1.0"})


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET; redirects it to ``redirect_to`` if set; keeps the headers it saw."""

    seen: list[dict[str, str]]
    redirect_to: str | None

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "13")
        self.end_headers()
        if not self.redirect_to:
            self.wfile.write(b'{"value": []}')

    def log_message(self, *args: Any) -> None:
        pass


def serve(redirect_to: str | None) -> tuple[http.server.HTTPServer, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen, "redirect_to": redirect_to})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_a_redirect_to_another_host_does_not_carry_the_development_token():
    # Another origin on this machine stands in for a foreign host: the token must not follow.
    target, target_seen = serve(None)
    origin, origin_seen = serve(f"http://localhost:{target.server_address[1]}")
    try:
        settings = Settings.from_env(
            {"GRAPH_BASE_URL": f"http://127.0.0.1:{origin.server_address[1]}/v1.0"}
        )

        async def list_devices() -> None:
            async with GraphGateway.from_settings(settings) as gateway:
                async for _ in gateway.device_pages():
                    pass

        asyncio.run(list_devices())
    finally:
        origin.shutdown()
        target.shutdown()
    assert origin_seen[0].get("authorization") == f"Bearer {DEVELOPMENT_TOKEN}"
    assert target_seen and all("authorization" not in h for h in target_seen)
