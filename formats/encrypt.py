"""AES-256 PDF encryption (ISO 32000-2 standard security handler, revision 6) for formats.pdfobj's writer.

``Aes256`` gives the writer its ``encode`` (every string and stream of every object but the
/Encrypt dictionary) and the /Encrypt dictionary (``info``), with AES from ``cryptography``
(OpenSSL): the file key is random, each string or stream gets a random IV and PKCS#7
padding (AESV3), and the /Encrypt dictionary carries O, U, OE, UE and Perms computed with
algorithms 2.B, 8, 9 and 10 of ISO 32000-2.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from formats.pdfobj import Name, Obj, Raw

__all__ = ["EXTENSIONS", "Aes256", "SecurityEntries", "encrypt_bytes", "hash_2b", "p_value", "password_bytes",
           "security_entries"]

MAX_PASSWORD_BYTES = 127  # ISO 32000-2 7.6.4.3.3: the UTF-8 password is truncated to 127 bytes
RESERVED_BITS = 0xFFFFF0C0  # bits 7, 8 and 13-32 of /P must be 1 (bits 1-2 must be 0)
_ZERO_IV = bytes(16)
_HASHES = (hashlib.sha256, hashlib.sha384, hashlib.sha512)


def password_bytes(password: str) -> bytes:
    """The password as revision 6 hashes it: UTF-8, at most 127 bytes.

    The standard asks for SASLprep first (NFKC, non-ASCII spaces mapped); MuPDF, poppler, qpdf
    and PDFium do not apply it, and neither did spoolview's PyMuPDF road: the typed bytes are
    hashed as they are, so a password that SASLprep would change (a ligature, a no-break
    space) opens in the readers people use. For every other password both ways agree."""
    return password.encode("utf-8")[:MAX_PASSWORD_BYTES]


def _cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CBC of ``data`` (a multiple of 16 bytes), no padding; the key size picks AES-128 or AES-256."""
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def hash_2b(password: bytes, salt: bytes, udata: bytes = b"") -> bytes:
    """Algorithm 2.B: the revision 6 password hash (SHA-256, then at least 64 rounds of
    AES-128-CBC and SHA-256/384/512 chosen by the data); ``udata`` is the 48-byte U for
    the owner password, empty for the user password."""
    k = hashlib.sha256(password + salt + udata).digest()
    rounds = 0
    e = b""
    while rounds < 64 or e[-1] > rounds - 32:
        e = _cbc(k[:16], k[16:32], (password + k + udata) * 64)
        k = _HASHES[sum(e[:16]) % 3](e).digest()  # the first 16 bytes as a big number, modulo 3
        rounds += 1
    return k[:32]


@lru_cache(maxsize=1)
def _open_hashes() -> tuple[bytes, bytes, bytes, bytes]:
    """Salts and hashes of the empty user password (a PDF that opens without one), made once
    per process: anyone computes them from the file, so sharing them between files hides nothing
    (the owner password and each file's key stay random)."""
    uvs, uks = os.urandom(8), os.urandom(8)
    return uvs, uks, hash_2b(b"", uvs), hash_2b(b"", uks)


def p_value(permissions: int) -> int:
    """/P: the permission bits with the reserved ones set, as the signed 32-bit integer PDF writes."""
    p = (permissions | RESERVED_BITS) & 0xFFFFFFFC
    return p - (1 << 32) if p >= 1 << 31 else p


@dataclass(frozen=True)
class SecurityEntries:
    """The values of the standard security handler's /Encrypt dictionary (revision 6)."""

    O: bytes  # noqa: E741 - the PDF key's own name
    U: bytes
    OE: bytes
    UE: bytes
    Perms: bytes
    P: int


def security_entries(user: str, owner: str, permissions: int, file_key: bytes,
                     salts: bytes | None = None) -> SecurityEntries:
    """Algorithms 8 (U, UE), 9 (O, OE) and 10 (Perms) for a 32-byte ``file_key``;
    ``salts`` (32 bytes: user validation and key salts, then the owner's) random when None."""
    upw, opw = password_bytes(user), password_bytes(owner)
    if salts is None and not upw:
        uvs, uks, u_hash, ue_key = _open_hashes()
        ovs, oks = os.urandom(8), os.urandom(8)
    else:
        salts = salts if salts is not None else os.urandom(32)
        uvs, uks, ovs, oks = salts[:8], salts[8:16], salts[16:24], salts[24:32]
        u_hash, ue_key = hash_2b(upw, uvs), hash_2b(upw, uks)
    u = u_hash + uvs + uks
    ue = _cbc(ue_key, _ZERO_IV, file_key)
    o = hash_2b(opw, ovs, u) + ovs + oks
    oe = _cbc(hash_2b(opw, oks, u), _ZERO_IV, file_key)
    p = p_value(permissions)
    block = (p & 0xFFFFFFFF).to_bytes(4, "little") + b"\xff\xff\xff\xff" + b"Tadb" + os.urandom(4)  # T: metadata encrypted
    ecb = Cipher(algorithms.AES(file_key), modes.ECB()).encryptor()  # one block, as algorithm 10 says
    perms = ecb.update(block) + ecb.finalize()
    return SecurityEntries(o, u, oe, ue, perms, p)


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """AESV3 of one string or stream: a random 16-byte IV, then AES-256-CBC of the PKCS#7-padded data."""
    iv = os.urandom(16)
    pad = 16 - len(data) % 16
    return iv + _cbc(key, iv, data + bytes((pad,)) * pad)


def _hex(data: bytes) -> Raw:
    return Raw(b"<" + data.hex().upper().encode("ascii") + b">")


# The catalog's /Extensions of an AES-256 file: PDF 1.7 with Adobe's extension level 8 (the
# same handler as PDF 2.0), as Acrobat writes it.
EXTENSIONS: dict[str, Obj] = {"ADBE": {"BaseVersion": Name("1.7"), "ExtensionLevel": 8}}


class Aes256:
    """The writer's encryption (``prepare`` once, then ``encode`` each string and stream, ``info``
    for the /Encrypt dictionary): AES-256, revision 6."""

    def __init__(self, user_password: str, owner_password: str, permissions: int) -> None:
        self._user = user_password
        self._owner = owner_password
        self._permissions = permissions
        self.key = b""
        self.entries: SecurityEntries | None = None

    def __repr__(self) -> str:  # never show the passwords or the key
        return "Aes256(***)"

    def prepare(self) -> None:
        """Make the file key and the /Encrypt entries (once: one key per file)."""
        if self.entries is None:
            self.key = os.urandom(32)
            self.entries = security_entries(self._user, self._owner, self._permissions, self.key)
            self._user = self._owner = ""  # no longer needed

    def encode(self, data: bytes | str) -> bytes:
        """A string or stream encrypted with the file key."""
        if self.entries is None:
            raise ValueError("encryption not prepared")
        return encrypt_bytes(self.key, data.encode("latin-1") if isinstance(data, str) else data)

    def info(self) -> dict[str, Obj]:
        """The /Encrypt dictionary (written unencrypted)."""
        e = self.entries
        if e is None:
            raise ValueError("encryption not prepared")
        stdcf: dict[str, Obj] = {"AuthEvent": Name("DocOpen"), "CFM": Name("AESV3"), "Length": 32}
        return {"Filter": Name("Standard"), "V": 5, "R": 6, "Length": 256, "CF": {"StdCF": stdcf},
                "StmF": Name("StdCF"), "StrF": Name("StdCF"), "O": _hex(e.O), "U": _hex(e.U), "OE": _hex(e.OE),
                "UE": _hex(e.UE), "Perms": _hex(e.Perms), "P": e.P}
