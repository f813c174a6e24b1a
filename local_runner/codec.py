"""Queue message bodies on the wire, per host.json ``messageEncoding``.

With ``base64`` (the default) the host expects every message text to be base64
and base64-encodes what output bindings write; with ``none`` the text is used as
UTF-8. A text that is not valid base64 cannot be decoded: the host treats that
as a poison message (see ``processor.py``), so decoding failure is its own error.
"""

from __future__ import annotations

import base64
import binascii
import collections.abc
import string
from typing import Any

import azure.functions as func

from local_runner.errors import RunnerError

_WHITESPACE = str.maketrans("", "", string.whitespace)


class MessageDecodingError(RunnerError):
    """A message text is not valid for the configured messageEncoding."""


def decode_body(text: str, encoding: str) -> bytes:
    """The message body bytes of a message text as received from storage.

    .NET's ``Convert.FromBase64String`` (which the host's queue client uses)
    ignores whitespace and rejects anything else outside the alphabet or with
    bad padding; ``validate=True`` after removing whitespace matches that.
    """
    if encoding == "none":
        return text.encode("utf-8")
    try:
        return base64.b64decode(text.translate(_WHITESPACE), validate=True)
    except (binascii.Error, ValueError) as e:
        raise MessageDecodingError(f"message text is not valid base64: {e}") from e


def encode_body(body: bytes, encoding: str) -> str:
    """The message text to send for a body, as the host's output binding writes it."""
    if encoding == "none":
        return body.decode("utf-8")
    return base64.b64encode(body).decode("ascii")


def output_bodies(value: Any) -> list[bytes]:
    """The message bodies an output value stands for.

    As the worker's queue output converter: a str, bytes or QueueMessage is one
    message; a list (any iterable) of str or QueueMessage is one message each;
    None (never set) is none.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value.encode("utf-8")]
    if isinstance(value, bytes | bytearray):
        return [bytes(value)]
    if isinstance(value, func.QueueMessage):
        return [value.get_body()]
    if isinstance(value, collections.abc.Iterable):
        bodies: list[bytes] = []
        for item in value:
            if isinstance(item, str):
                bodies.append(item.encode("utf-8"))
            elif isinstance(item, func.QueueMessage):
                bodies.append(item.get_body())
            else:
                raise TypeError(f"invalid data type in output queue message list: {type(item)}")
        return bodies
    raise TypeError(f"unsupported queue output value of type {type(value).__name__}")
