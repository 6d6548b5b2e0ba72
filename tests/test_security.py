"""Tests for ai2med_labs.security: encryption at rest, signatures, the audit log, access rules."""

from __future__ import annotations

import pandas as pd
import pytest

from ai2med_labs import security as sec


def test_encrypt_roundtrip_and_tamper_detection(tmp_path):
    key = sec.generate_key()
    data = pd.DataFrame({"patient_id": ["P1", "P2"], "hba1c": [6.1, 7.4]}).to_csv(index=False).encode()
    token = sec.encrypt(data, key)
    assert data not in token
    assert sec.decrypt(token, key) == data
    assert sec.encrypt(data, key) != token  # fresh IV each time
    for i in (10, len(token) // 2, len(token) - 5):
        altered = bytearray(token)
        altered[i] = ord("A") if altered[i] != ord("A") else ord("B")
        with pytest.raises(sec.TamperedError, match="modified"):
            sec.decrypt(bytes(altered), key)
    with pytest.raises(sec.TamperedError):
        sec.decrypt(token[:-4], key)
    with pytest.raises(sec.TamperedError):
        sec.decrypt(token, sec.generate_key())
    with pytest.raises(ValueError, match="Fernet key"):
        sec.encrypt(data, b"not a key")
    with pytest.raises(TypeError, match="bytes"):
        sec.encrypt(pd.DataFrame({"a": [1]}), key)
    src = tmp_path / "extract.csv"
    src.write_bytes(data)
    enc = sec.encrypt_file(src, key)
    assert enc.name == "extract.csv.enc" and sec.decrypt_file(enc, key) == data


def test_sign_and_verify_transfer():
    private, public = sec.generate_signing_key()
    data = b'{"resourceType": "Bundle"}'
    sig = sec.sign(data, private)
    assert len(sig) == 64
    assert sec.verify(data, sig, public) is None
    assert sec.verify(data, sig, sec.public_key_bytes(public)) is None
    with pytest.raises(sec.SignatureError, match="altered"):
        sec.verify(data + b" ", sig, public)
    with pytest.raises(sec.SignatureError):
        sec.verify(data, bytes([sig[0] ^ 1]) + sig[1:], public)
    _, other_public = sec.generate_signing_key()
    with pytest.raises(sec.SignatureError):
        sec.verify(data, sig, other_public)
    with pytest.raises(TypeError, match="Ed25519PrivateKey"):
        sec.sign(data, public)


def _log(key=None) -> sec.AuditLog:
    log = sec.AuditLog(key=key)
    for i, (actor, action) in enumerate([("dr_lee", "read"), ("steward", "relink"), ("dr_lee", "write")]):
        log.append(actor, action, f"patients/P{i}", time=f"2026-01-0{i + 1}T10:00:00+00:00")
    return log


def test_audit_log_chain_verifies_and_exposes_an_edit():
    log = _log()
    log.verify()
    assert [e["index"] for e in log.entries] == [0, 1, 2]
    assert log.entries[1]["prev_hash"] == log.entries[0]["hash"]
    # editing the copy changes nothing
    log.entries[0]["actor"] = "mallory"
    log.verify()
    # editing the log itself is exposed, at the right entry
    log._entries[1]["actor"] = "mallory"
    with pytest.raises(sec.AuditLogError, match="entry 1 was edited"):
        log.verify()


def test_audit_log_detects_recomputed_hash_removal_and_insertion():
    entries = _log().entries
    # attacker edits entry 1 and recomputes its hash: entry 2 no longer follows
    forged = [dict(e) for e in entries]
    forged[1]["action"] = "read"
    forged[1]["hash"] = sec._entry_hash(forged[1], None)
    with pytest.raises(sec.AuditLogError, match="entry 2 does not follow"):
        sec.verify_chain(forged)
    with pytest.raises(sec.AuditLogError, match="removed or inserted"):
        sec.verify_chain([entries[0], entries[2]])
    frame = _log().to_frame()
    sec.verify_chain(frame)
    frame.loc[2, "resource"] = "patients/P9"
    with pytest.raises(sec.AuditLogError, match="entry 2"):
        sec.verify_chain(frame)


def test_keyed_audit_log_and_jsonl(tmp_path):
    key = b"k" * 32
    log = _log(key)
    log.verify()
    with pytest.raises(sec.AuditLogError):
        sec.verify_chain(log.entries)  # without the key the hashes do not match
    path = log.to_jsonl(tmp_path / "audit.jsonl")
    assert len(sec.AuditLog.from_jsonl(path, key)) == 3
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1].replace("relink", "read"), lines[2]]) + "\n")
    with pytest.raises(sec.AuditLogError, match="entry 1"):
        sec.AuditLog.from_jsonl(path, key)
    with pytest.raises(ValueError, match="actor"):
        log.append("", "read", "x")


def test_access_policy():
    p = sec.POLICY
    assert p.allows("clinician", "read", "patients")
    assert not p.allows("researcher", "read", "patients")
    p.check("researcher", "read", "pseudonymised_extract")
    with pytest.raises(sec.AccessDenied, match="'researcher' may not 'read' 'patients'") as err:
        p.check("researcher", "read", "patients")
    assert isinstance(err.value, PermissionError) and "pseudonymised_extract" in str(err.value)
    with pytest.raises(PermissionError, match="unknown role 'janitor'"):
        p.check("janitor", "read", "patients")
    log = sec.AuditLog()
    p.check("auditor", "read", "audit_log", log=log)
    with pytest.raises(sec.AccessDenied):
        p.check("auditor", "erase", "audit_log", log=log)
    assert [e["detail"] for e in log.entries] == ["allowed", "denied"]
    log.verify()
    table = p.to_frame()
    assert {"role", "resource", "actions"} <= set(table.columns) and len(table) >= 4
