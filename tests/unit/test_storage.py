"""The app's own queue client follows the host's AzureWebJobsStorage connection or identity."""

from __future__ import annotations

import pytest
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
from azure.storage.queue import TextBase64EncodePolicy

from shared.config.settings import Settings
from shared.core.errors import SettingsError
from shared.storage.queues import queue_client


def client_for(env: dict[str, str], encoding: str = "base64"):
    return queue_client(Settings.from_env(env).storage, "results", encoding=encoding)


def test_a_connection_string_gives_a_keyed_client_on_that_account():
    client = client_for({"AzureWebJobsStorage": "UseDevelopmentStorage=true"})
    assert client.url.endswith("/devstoreaccount1/results")
    assert isinstance(client._message_encode_policy, TextBase64EncodePolicy)


def test_an_account_name_with_a_client_id_uses_that_user_assigned_identity():
    client = client_for(
        {
            "AzureWebJobsStorage__accountName": "apgstore",
            "AzureWebJobsStorage__credential": "managedidentity",
            "AzureWebJobsStorage__clientId": "00000000-0000-0000-0000-000000000001",
        }
    )
    assert client.url == "https://apgstore.queue.core.windows.net/results"
    assert isinstance(client.credential, ManagedIdentityCredential)


def test_a_queue_service_uri_without_client_id_uses_the_default_credential_chain():
    client = client_for(
        {"AzureWebJobsStorage__queueServiceUri": "https://apgstore.queue.core.windows.net"}
    )
    assert isinstance(client.credential, DefaultAzureCredential)


def test_encoding_none_sends_text_as_is():
    client = client_for({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}, encoding="none")
    assert not isinstance(client._message_encode_policy, TextBase64EncodePolicy)


def test_no_connection_at_all_is_a_settings_error_naming_it():
    with pytest.raises(SettingsError, match="AzureWebJobsStorage"):
        client_for({})


def test_blobs_with_only_a_queue_service_uri_say_which_setting_is_missing():
    from shared.core.errors import StorageError
    from shared.storage.blobs import open_container

    settings = Settings.from_env(
        {"AzureWebJobsStorage__queueServiceUri": "https://apgstore.queue.core.windows.net"}
    )
    assert settings.storage is not None
    with pytest.raises(StorageError, match="set AzureWebJobsStorage__blobServiceUri too"):
        open_container(settings.storage, "autopilot-group-reports", create=False)
