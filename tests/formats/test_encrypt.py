"""formats.encrypt: revision 6 hashes checked against MuPDF's own files (read by qpdf), AESV3 strings and streams."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pymupdf
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from formats.encrypt import Aes256, encrypt_bytes, hash_2b, p_value, password_bytes, security_entries
from formats.pdf import PERMISSIONS
from formats.pdfobj import serialize
from tests.support.tools import require_tool

# Written by MuPDF (PyMuPDF 1.26, AES-256) for the user password "sécret": U = hash + validation salt + key salt.
MUPDF_U = bytes.fromhex("b6300cf54df1e85fc7b70ee4db3a04b1cff751714a91d8f7aff5266d78851bb9"
                        "6ed74ae3aa78c63dcf13f9c7fd4c8d94")


def _decrypt(key: bytes, data: bytes, iv: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def _unpad(data: bytes) -> bytes:
    assert 1 <= data[-1] <= 16 and data.endswith(bytes((data[-1],)) * data[-1])
    return data[: -data[-1]]


def mupdf_entries(tmp_path: Path, user: str, owner: str) -> dict[str, bytes]:
    """O, U, OE, UE and Perms of a PDF that MuPDF encrypts, as qpdf reads them."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "mupdf")
    path = tmp_path / "mupdf.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=user, owner_pw=owner, permissions=PERMISSIONS)
    trailer = subprocess.run([require_tool("qpdf"), f"--password={owner}", "--show-object=trailer", str(path)],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    return {k: bytes.fromhex(v) for k, v in re.findall(r"/(O|U|OE|UE|Perms) <([0-9a-fA-F]+)>", trailer)}


def test_hash_2b_matches_a_user_entry_written_by_mupdf() -> None:
    assert hash_2b("sécret".encode(), MUPDF_U[32:40]) == MUPDF_U[:32]
    assert hash_2b(b"secret", MUPDF_U[32:40]) != MUPDF_U[:32]


def test_owner_hash_and_keys_match_what_mupdf_writes(tmp_path: Path) -> None:
    e = mupdf_entries(tmp_path, "pw-ü", "owner-pw")
    user, owner = password_bytes("pw-ü"), password_bytes("owner-pw")
    assert hash_2b(user, e["U"][32:40]) == e["U"][:32]
    assert hash_2b(owner, e["O"][32:40], e["U"]) == e["O"][:32]
    # UE and OE wrap the same file key; Perms (algorithm 10) decrypts with it to P, ..., "adb".
    key = _decrypt(hash_2b(user, e["U"][40:48]), e["UE"], bytes(16))
    assert _decrypt(hash_2b(owner, e["O"][40:48], e["U"]), e["OE"], bytes(16)) == key
    ecb = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    perms = ecb.update(e["Perms"]) + ecb.finalize()
    assert perms[9:12] == b"adb" and int.from_bytes(perms[:4], "little", signed=True) == p_value(PERMISSIONS)


def test_security_entries_unlock_the_file_key_with_either_password() -> None:
    key = os.urandom(32)
    e = security_entries("user pw", "owner pw", PERMISSIONS, key)
    assert len(e.U) == len(e.O) == 48 and len(e.UE) == len(e.OE) == 32 and len(e.Perms) == 16
    assert hash_2b(b"user pw", e.U[32:40]) == e.U[:32]
    assert hash_2b(b"owner pw", e.O[32:40], e.U) == e.O[:32]
    assert _decrypt(hash_2b(b"user pw", e.U[40:48]), e.UE, bytes(16)) == key
    assert _decrypt(hash_2b(b"owner pw", e.O[40:48], e.U), e.OE, bytes(16)) == key
    assert hash_2b(b"user pW", e.U[32:40]) != e.U[:32]  # a wrong password does not validate
    ecb = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    perms = ecb.update(e.Perms) + ecb.finalize()
    assert perms[4:12] == b"\xff\xff\xff\xffTadb" and int.from_bytes(perms[:4], "little", signed=True) == e.P


def test_fixed_salts_give_the_same_entries_and_fresh_ones_differ() -> None:
    key, salts = bytes(range(32)), bytes(range(100, 132))
    first = security_entries("u", "o", PERMISSIONS, key, salts)
    again = security_entries("u", "o", PERMISSIONS, key, salts)
    assert (first.U, first.O, first.UE, first.OE) == (again.U, again.O, again.UE, again.OE)
    assert first.U[32:48] == salts[:16] and first.O[32:48] == salts[16:]
    assert security_entries("u", "o", PERMISSIONS, key).U != first.U


def test_the_empty_user_password_entries_are_real_hashes_shared_by_every_open_file() -> None:
    from formats import encrypt

    # The constants are what algorithm 2.B gives for "" and their salts (not made-up bytes).
    assert hash_2b(b"", encrypt._OPEN_U_SALT) == encrypt._OPEN_U_HASH
    assert hash_2b(b"", encrypt._OPEN_KEY_SALT) == encrypt._OPEN_KEY_HASH
    key1, key2 = os.urandom(32), os.urandom(32)
    a = security_entries("", "owner-1", PERMISSIONS, key1)
    b = security_entries("", "owner-2", PERMISSIONS, key2)
    assert a.U == b.U  # salts and hash of "" are public knowledge: shared
    assert a.O[32:] != b.O[32:] and a.UE != b.UE  # owner salts and the file keys are not
    assert _decrypt(hash_2b(b"", a.U[40:48]), a.UE, bytes(16)) == key1
    assert _decrypt(hash_2b(b"", b.U[40:48]), b.UE, bytes(16)) == key2


def test_without_an_owner_password_no_password_gives_owner_rights() -> None:
    key = os.urandom(32)
    e = security_entries("", None, PERMISSIONS, key)
    f = security_entries("", None, PERMISSIONS, key)
    assert len(e.O) == 48 and len(e.OE) == 32 and e.O != f.O and e.OE != f.OE  # random, per file
    for attempt in (b"", b"owner", b"user"):  # the owner check fails: the user's rights apply
        assert hash_2b(attempt, e.O[32:40], e.U) != e.O[:32]
    assert hash_2b(b"", e.U[32:40]) == e.U[:32]  # opens without a password
    assert _decrypt(hash_2b(b"", e.U[40:48]), e.UE, bytes(16)) == key
    ecb = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    perms = ecb.update(e.Perms) + ecb.finalize()
    assert perms[8:12] == b"Tadb" and int.from_bytes(perms[:4], "little", signed=True) == p_value(PERMISSIONS)


def test_a_user_password_without_an_owner_password_still_opens(tmp_path: Path) -> None:
    from formats.pdfwrite import Lock, write
    from tests.formats.test_pdfwrite import INFO, NOW, _draw

    out = tmp_path / "user-only.pdf"
    out.write_bytes(write(_draw, 2, INFO, lock=Lock("pw-ü", None, PERMISSIONS), now=NOW))
    qpdf = require_tool("qpdf")
    shown = subprocess.run([qpdf, "--password=pw-ü", "--show-encryption", str(out)], capture_output=True, text=True,
                           timeout=30)
    assert shown.returncode == 0 and "Supplied password is user password" in shown.stdout
    assert "modify anything: not allowed" in shown.stdout and "file encryption method: AESv3" in shown.stdout
    assert subprocess.run([qpdf, "--password=pw-ü", "--check", str(out)], capture_output=True, timeout=30).returncode == 0
    assert subprocess.run([qpdf, "--check", str(out)], capture_output=True, timeout=30).returncode != 0  # no password
    assert subprocess.run([require_tool("pdfinfo"), "-upw", "pw-ü", str(out)], capture_output=True,
                          timeout=30).returncode == 0


def test_p_value_sets_the_reserved_bits_as_mupdf_does() -> None:
    assert p_value(PERMISSIONS) == -1324  # what MuPDF writes for the same permissions (qpdf: P = -1324)
    assert p_value(0) == -3904 and p_value(0xFFFFFFFF) == -4  # bits 1 and 2 always 0


def test_password_bytes_are_the_typed_utf8_at_most_127_bytes() -> None:
    assert password_bytes("sécret") == "sécret".encode()
    assert password_bytes("a\u00a0b\ufb01") == "a\u00a0b\ufb01".encode()  # as MuPDF, poppler and qpdf hash it
    assert password_bytes("é" * 100) == ("é" * 64).encode()[:127]  # bytes, as the standard says
    assert len(password_bytes("x" * 200)) == 127


def test_a_password_with_a_no_break_space_and_a_ligature_opens_in_every_reader(tmp_path: Path) -> None:
    from formats import open_document
    from formats.pdf import Protection, to_pdf

    password = "a\u00a0b\ufb01"
    out = tmp_path / "odd.pdf"
    samples = Path(__file__).resolve().parents[2] / "samples"
    out.write_bytes(to_pdf(open_document(samples / "devis-D2026-0042.spv"), protection=Protection("password", password)))
    assert subprocess.run([require_tool("qpdf"), f"--password={password}", "--check", str(out)], capture_output=True,
                          timeout=30).returncode == 0
    assert subprocess.run([require_tool("pdftotext"), "-upw", password, str(out), "-"], capture_output=True,
                          timeout=30).returncode == 0
    assert pymupdf.open(out).authenticate(password)


def test_encrypt_bytes_random_iv_and_pkcs7_padding() -> None:
    key = os.urandom(32)
    for size in (0, 1, 15, 16, 17, 4000):
        data = os.urandom(size)
        out = encrypt_bytes(key, data)
        assert len(out) == 16 + (size // 16 + 1) * 16  # a whole block of padding when aligned
        assert _unpad(_decrypt(key, out[16:], out[:16])) == data
    assert encrypt_bytes(key, b"same") != encrypt_bytes(key, b"same")


def test_the_hook_hides_secrets_and_refuses_to_work_unprepared() -> None:
    hook = Aes256("user-secret", "owner-secret", PERMISSIONS)
    assert "secret" not in repr(hook)
    with pytest.raises(ValueError, match="not prepared"):
        hook.encode(b"x")
    with pytest.raises(ValueError, match="not prepared"):
        hook.info()
    hook.prepare()
    key = hook.key
    hook.prepare()  # asked twice: one key per file
    assert hook.key == key and len(key) == 32
    out = hook.encode("text")
    assert _unpad(_decrypt(key, out[16:], out[:16])) == b"text"
    written = serialize(hook.info())
    assert b"/R 6" in written and b"/V 5" in written and b"/CFM /AESV3" in written and b"/P -1324" in written
