"""pump.fun's CreateEvent: how a new token announces itself in program logs.

A pump.fun ``create`` instruction logs ``Program log: Instruction: Create`` and
then ``Program data: <base64>``, where the base64 payload is an Anchor event:

    8 bytes   discriminator 1b72a94ddeeb6376 (sha256("event:CreateEvent")[:8])
    string    name      (borsh: u32 little-endian byte length, then UTF-8)
    string    symbol
    string    uri
    32 bytes  mint
    32 bytes  bondingCurve
    32 bytes  user      (the creator's wallet)

Newer program versions append fields (creator, timestamp, reserves); the decoder
reads the fields above and ignores any trailing bytes, so it keeps working when
the event grows. This module is shared by the client (decode) and the simulator
(encode), so both sides agree on the bytes by construction.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

import base58

PUMPFUN_PROGRAM_ID = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"

CREATE_EVENT_DISCRIMINATOR = bytes.fromhex("1b72a94ddeeb6376")
CREATE_INSTRUCTION_LOG = "Program log: Instruction: Create"
PROGRAM_DATA_PREFIX = "Program data: "

#: names/symbols/uris longer than this are not a pump.fun event (guards a bad length prefix)
_MAX_STRING_BYTES = 1024
_U32 = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class CreateEvent:
    name: str
    symbol: str
    uri: str
    mint: str  # base58
    bonding_curve: str  # base58
    user: str  # base58: the wallet that created the token


def _pubkey_bytes(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(value)}")
    return value


def _borsh_string(text: str, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > _MAX_STRING_BYTES:
        raise ValueError(f"{what} is {len(raw)} bytes; at most {_MAX_STRING_BYTES}")
    return _U32.pack(len(raw)) + raw


def encode_create_event(  # noqa: PLR0917 (the agreed API with the simulator)
    name: str, symbol: str, uri: str, mint: bytes, bonding_curve: bytes, user: bytes
) -> bytes:
    """The raw event bytes (base64 them for a ``Program data:`` log line)."""
    return b"".join(
        (
            CREATE_EVENT_DISCRIMINATOR,
            _borsh_string(name, "name"),
            _borsh_string(symbol, "symbol"),
            _borsh_string(uri, "uri"),
            _pubkey_bytes(mint, "mint"),
            _pubkey_bytes(bonding_curve, "bonding_curve"),
            _pubkey_bytes(user, "user"),
        )
    )


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, n: int) -> bytes | None:
        end = self._pos + n
        if end > len(self._data):
            return None
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def string(self) -> str | None:
        head = self.take(4)
        if head is None:
            return None
        (length,) = _U32.unpack(head)
        if length > _MAX_STRING_BYTES:
            return None
        raw = self.take(length)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None


def decode_create_event(data: bytes) -> CreateEvent | None:
    """Decode a CreateEvent; None when ``data`` is some other event or is truncated/garbled."""
    if not data.startswith(CREATE_EVENT_DISCRIMINATOR):
        return None
    reader = _Reader(data)
    reader.take(len(CREATE_EVENT_DISCRIMINATOR))
    name = reader.string()
    symbol = reader.string()
    uri = reader.string()
    mint = reader.take(32)
    curve = reader.take(32)
    user = reader.take(32)
    if name is None or symbol is None or uri is None:
        return None
    if mint is None or curve is None or user is None:
        return None
    return CreateEvent(
        name=name,
        symbol=symbol,
        uri=uri,
        mint=base58.b58encode(mint).decode("ascii"),
        bonding_curve=base58.b58encode(curve).decode("ascii"),
        user=base58.b58encode(user).decode("ascii"),
    )


def create_event_from_logs(logs: list[str]) -> CreateEvent | None:
    """The CreateEvent in a transaction's log lines, if it is a pump.fun create."""
    if CREATE_INSTRUCTION_LOG not in logs:
        return None
    for line in logs:
        if not line.startswith(PROGRAM_DATA_PREFIX):
            continue
        try:
            raw = base64.b64decode(line[len(PROGRAM_DATA_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            continue
        event = decode_create_event(raw)
        if event is not None:
            return event
    return None


def program_data_log(event_bytes: bytes) -> str:
    """The ``Program data: <base64>`` log line carrying ``event_bytes``."""
    return PROGRAM_DATA_PREFIX + base64.b64encode(event_bytes).decode("ascii")
