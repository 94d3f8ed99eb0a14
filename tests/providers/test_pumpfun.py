"""The CreateEvent codec: round trips, real-shaped logs, and garbage."""

from __future__ import annotations

import base64

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenradar.providers.pumpfun import (
    CREATE_EVENT_DISCRIMINATOR,
    CREATE_INSTRUCTION_LOG,
    CreateEvent,
    create_event_from_logs,
    decode_create_event,
    encode_create_event,
    program_data_log,
)

MINT = bytes(range(32))
CURVE = bytes(range(32, 64))
USER = bytes(range(64, 96))


def test_encode_lays_out_discriminator_then_borsh_fields() -> None:
    raw = encode_create_event("Ab", "X", "u", MINT, CURVE, USER)
    assert raw[:8] == CREATE_EVENT_DISCRIMINATOR
    assert raw[8:14] == b"\x02\x00\x00\x00Ab"
    assert raw[14:19] == b"\x01\x00\x00\x00X"
    assert raw[19:24] == b"\x01\x00\x00\x00u"
    assert raw[24:56] == MINT
    assert raw[56:88] == CURVE
    assert raw[88:] == USER


def test_decode_returns_base58_pubkeys() -> None:
    event = decode_create_event(encode_create_event("Dog 🐶", "DOG", "ipfs://x", MINT, CURVE, USER))
    assert event == CreateEvent(
        name="Dog 🐶",
        symbol="DOG",
        uri="ipfs://x",
        mint=base58.b58encode(MINT).decode(),
        bonding_curve=base58.b58encode(CURVE).decode(),
        user=base58.b58encode(USER).decode(),
    )


def test_decode_ignores_fields_newer_program_versions_append() -> None:
    raw = encode_create_event("a", "b", "c", MINT, CURVE, USER) + USER + b"\x00" * 16
    event = decode_create_event(raw)
    assert event is not None
    assert event.symbol == "b"


def test_decode_rejects_other_events_and_truncation() -> None:
    raw = encode_create_event("a", "b", "c", MINT, CURVE, USER)
    assert decode_create_event(b"\x00" * 8 + raw[8:]) is None
    assert decode_create_event(raw[:-1]) is None
    assert decode_create_event(raw[:10]) is None
    assert decode_create_event(b"") is None


def test_decode_rejects_absurd_string_length() -> None:
    raw = CREATE_EVENT_DISCRIMINATOR + b"\xff\xff\xff\x7f" + b"x" * 200
    assert decode_create_event(raw) is None


def test_decode_rejects_invalid_utf8() -> None:
    raw = CREATE_EVENT_DISCRIMINATOR + b"\x02\x00\x00\x00\xff\xfe" + b"\x00" * 200
    assert decode_create_event(raw) is None


def test_encode_rejects_wrong_pubkey_length() -> None:

    with pytest.raises(ValueError, match="mint must be 32 bytes"):
        encode_create_event("a", "b", "c", b"\x01" * 31, CURVE, USER)


def test_event_found_in_logs_only_for_create_instruction() -> None:
    line = program_data_log(encode_create_event("a", "b", "c", MINT, CURVE, USER))
    logs = [
        "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P invoke [1]",
        CREATE_INSTRUCTION_LOG,
        "Program data: !!!not base64!!!",
        "Program data: " + base64.b64encode(b"other event bytes").decode(),
        line,
    ]
    event = create_event_from_logs(logs)
    assert event is not None
    assert event.name == "a"
    assert create_event_from_logs(["Program log: Instruction: Buy", line]) is None


@given(
    name=st.text(max_size=40),
    symbol=st.text(max_size=12),
    uri=st.text(max_size=100),
    keys=st.binary(min_size=96, max_size=96),
)
def test_round_trip_any_text(name: str, symbol: str, uri: str, keys: bytes) -> None:
    raw = encode_create_event(name, symbol, uri, keys[:32], keys[32:64], keys[64:])
    event = decode_create_event(raw)
    assert event is not None
    assert (event.name, event.symbol, event.uri) == (name, symbol, uri)
    assert base58.b58decode(event.mint) == keys[:32]
    assert base58.b58decode(event.user) == keys[64:]


@given(st.binary(max_size=300))
def test_decode_never_raises_on_garbage(data: bytes) -> None:
    decode_create_event(CREATE_EVENT_DISCRIMINATOR + data)
