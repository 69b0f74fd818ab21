"""Envelope encryption: round trip, tamper and context checks, KEK rotation, blind index."""

from __future__ import annotations

import os
import threading

import pytest

from homecare_backend import encryption as enc

CTX = "care_recipients.health_conditions"


def keyring(kek_id: str = "k1") -> enc.Keyring:
    return enc.Keyring({kek_id: os.urandom(32)}, kek_id, os.urandom(32))


def test_round_trip_and_fresh_data_key_per_value() -> None:
    ring = keyring()
    first = enc.encrypt(ring, "당뇨, 고혈압", CTX)
    second = enc.encrypt(ring, "당뇨, 고혈압", CTX)
    assert first != second
    assert first.split(".")[2] != second.split(".")[2]  # different wrapped data keys
    assert "당뇨" not in first
    assert enc.decrypt(ring, first, CTX) == "당뇨, 고혈압"
    assert enc.kek_id(first) == "k1"


def test_tampering_wrong_context_and_unknown_kek_are_refused() -> None:
    ring = keyring()
    token = enc.encrypt(ring, "010-1234-5678", CTX)
    head, kid, wrapped, sealed = token.split(".")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(enc.DecryptionError, match="authenticate"):
        enc.decrypt(ring, f"{head}.{kid}.{wrapped}.{flipped}", CTX)
    with pytest.raises(enc.DecryptionError, match="authenticate"):
        enc.decrypt(ring, token, "caregiver_profiles.licence_number")
    with pytest.raises(enc.DecryptionError, match="not in the keyring"):
        enc.decrypt(keyring("other"), token, CTX)
    with pytest.raises(enc.DecryptionError, match="known version"):
        enc.decrypt(ring, "plain text", CTX)
    with pytest.raises(enc.DecryptionError):
        enc.decrypt(ring, "v1.k1.%%%.%%%", CTX)


def test_rotation_without_downtime() -> None:
    old = keyring("2026a")
    written_before = [enc.encrypt(old, f"note {i}", CTX) for i in range(20)]

    rotated = old.with_current("2026b", os.urandom(32))
    written_after = enc.encrypt(rotated, "new note", CTX)
    assert enc.kek_id(written_after) == "2026b"

    # While the re-wrap runs, readers see every value, old and new, and writers keep writing.
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(50):
                for i, token in enumerate(written_before):
                    assert enc.decrypt(rotated, token, CTX) == f"note {i}"
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    rewrapped = [enc.rewrap(rotated, token, CTX) for token in written_before]
    thread.join()
    assert not errors

    assert {enc.kek_id(t) for t in rewrapped} == {"2026b"}
    # Only the data key is re-wrapped; the sealed data part is unchanged.
    assert [t.split(".")[3] for t in rewrapped] == [t.split(".")[3] for t in written_before]
    assert enc.rewrap(rotated, written_after, CTX) == written_after

    retired = rotated.without("2026a")
    assert [enc.decrypt(retired, t, CTX) for t in rewrapped] == [f"note {i}" for i in range(20)]
    with pytest.raises(enc.DecryptionError, match="not in the keyring"):
        enc.decrypt(retired, written_before[0], CTX)


def test_keyring_from_settings_spec_and_bad_specs() -> None:
    k1, k2, index = enc.new_key(), enc.new_key(), enc.new_key()
    ring = enc.Keyring.from_spec(f"old={k1}, new={k2}", "new", index)
    assert set(ring.keks) == {"old", "new"}
    assert ring.current == "new"
    with pytest.raises(ValueError, match="not in the keyring"):
        enc.Keyring.from_spec(f"old={k1}", "new", index)
    with pytest.raises(ValueError, match="expected id=base64key"):
        enc.Keyring.from_spec(k1, "old", index)
    with pytest.raises(ValueError, match="32 bytes"):
        enc.Keyring.from_spec("old=c2hvcnQ", "old", index)
    with pytest.raises(ValueError, match="letters, digits"):
        enc.Keyring.from_spec(f"bad.id={k1}", "bad.id", index)
    with pytest.raises(ValueError, match="blind-index key"):
        enc.Keyring.from_spec(f"old={k1}", "old", "c2hvcnQ")


def test_phone_blind_index_matches_equal_numbers_only() -> None:
    ring = keyring()
    assert enc.normalise_phone("+82 10-1234-5678") == "01012345678"
    same = {enc.phone_index(ring, p) for p in ("010-1234-5678", "+82 10 1234 5678", "01012345678")}
    assert len(same) == 1
    assert enc.phone_index(ring, "010-1234-5679") not in same
    # A different index key gives unrelated hashes (no lookup across environments).
    assert enc.phone_index(keyring(), "010-1234-5678") not in same
    assert enc.blind_index(ring, "01012345678", "licence") not in same


def test_dev_keyring_is_deterministic() -> None:
    a = enc.Keyring.for_dev("dev-only-placeholder")
    b = enc.Keyring.for_dev("dev-only-placeholder")
    token = enc.encrypt(a, "x", CTX)
    assert enc.decrypt(b, token, CTX) == "x"
