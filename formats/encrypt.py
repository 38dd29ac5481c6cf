"""AES-256 PDF encryption (ISO 32000-2 standard security handler, revision 6) for formats.pdfobj's writer.

``Aes256`` gives the writer its ``encode`` (every string and stream of every object but the
/Encrypt dictionary) and the /Encrypt dictionary (``info``), with OpenSSL's AES (formats.aes:
the libcrypto hashlib loaded, else ``cryptography``): the file key is random, each string or stream gets a random IV and PKCS#7
padding (AESV3), and the /Encrypt dictionary carries O, U, OE, UE and Perms computed with
algorithms 2.B, 8, 9 and 10 of ISO 32000-2.
"""

from __future__ import annotations

import os

from formats.aes import cbc_encrypt, ecb_encrypt
from formats.pdfobj import Name, Obj, Raw
from formats.records import record

__all__ = ["EXTENSIONS", "Aes256", "SecurityEntries", "encrypt_bytes", "hash_2b", "p_value", "password_bytes",
           "security_entries"]

MAX_PASSWORD_BYTES = 127  # ISO 32000-2 7.6.4.3.3: the UTF-8 password is truncated to 127 bytes
RESERVED_BITS = 0xFFFFF0C0  # bits 7, 8 and 13-32 of /P must be 1 (bits 1-2 must be 0)
_ZERO_IV = bytes(16)
# The empty user password's salts and hashes (algorithm 2.B), made once with hash_2b and checked
# by tests/formats/test_encrypt.py. A file that opens without a password is readable by anyone:
# these values are public (anyone recomputes them from the file's U), so every such file shares
# them, as every file of one process did before, and none pays two of the four hashes (the file
# key stays random and per file).
_OPEN_U_SALT = bytes.fromhex("7833d813dd34f14e")
_OPEN_U_HASH = bytes.fromhex("4fdae1853d535c456c760cdb828341489d7ffc8051c4c566f62ca53bdfcc17d4")
_OPEN_KEY_SALT = bytes.fromhex("445a3ee60d2d8028")
_OPEN_KEY_HASH = bytes.fromhex("95cabf5fe0890bd7eef4d4da3f6561c8301d6ce7e0fd3640c1578161a4470490")


def password_bytes(password: str) -> bytes:
    """The password as revision 6 hashes it: UTF-8, at most 127 bytes.

    The standard asks for SASLprep first (NFKC, non-ASCII spaces mapped); MuPDF, poppler, qpdf
    and PDFium do not apply it, and neither did spoolview's PyMuPDF road: the typed bytes are
    hashed as they are, so a password that SASLprep would change (a ligature, a no-break
    space) opens in the readers people use. For every other password both ways agree."""
    return password.encode("utf-8")[:MAX_PASSWORD_BYTES]


def hash_2b(password: bytes, salt: bytes, udata: bytes = b"") -> bytes:
    """Algorithm 2.B: the revision 6 password hash (SHA-256, then at least 64 rounds of
    AES-128-CBC and SHA-256/384/512 chosen by the data); ``udata`` is the 48-byte U for
    the owner password, empty for the user password."""
    import hashlib  # only when a password is hashed: not on the "no-modify" road

    hashes = (hashlib.sha256, hashlib.sha384, hashlib.sha512)
    k = hashlib.sha256(password + salt + udata).digest()
    rounds = 0
    e = b""
    while rounds < 64 or e[-1] > rounds - 32:
        e = cbc_encrypt(k[:16], k[16:32], (password + k + udata) * 64)
        k = hashes[sum(e[:16]) % 3](e).digest()  # the first 16 bytes as a big number, modulo 3
        rounds += 1
    return k[:32]


def p_value(permissions: int) -> int:
    """/P: the permission bits with the reserved ones set, as the signed 32-bit integer PDF writes."""
    p = (permissions | RESERVED_BITS) & 0xFFFFFFFC
    return p - (1 << 32) if p >= 1 << 31 else p


@record(frozen=True)
class SecurityEntries:
    """The values of the standard security handler's /Encrypt dictionary (revision 6)."""

    O: bytes  # noqa: E741 - the PDF key's own name
    U: bytes
    OE: bytes
    UE: bytes
    Perms: bytes
    P: int


def security_entries(user: str, owner: str | None, permissions: int, file_key: bytes,
                     salts: bytes | None = None) -> SecurityEntries:
    """Algorithms 8 (U, UE), 9 (O, OE) and 10 (Perms) for a 32-byte ``file_key``;
    ``salts`` (32 bytes: user validation and key salts, then the owner's) random when None.

    ``owner`` None: no owner password at all, as when spoolview draws one at random and forgets
    it. O's hash and OE are then random bytes: what a hash of an unknown random password looks
    like, and no password unlocks them (readers try the owner password, fail, and open the file
    with the user password and its permissions, as before); algorithm 2.B's two owner hashes,
    half the work of protecting a file, are not computed."""
    upw = password_bytes(user)
    fixed = salts is not None
    salts = salts if salts is not None else os.urandom(32)
    uvs, uks, ovs, oks = salts[:8], salts[8:16], salts[16:24], salts[24:32]
    if not upw and not fixed:
        uvs, uks, u_hash, ue_key = _OPEN_U_SALT, _OPEN_KEY_SALT, _OPEN_U_HASH, _OPEN_KEY_HASH
    else:
        u_hash, ue_key = hash_2b(upw, uvs), hash_2b(upw, uks)
    u = u_hash + uvs + uks
    ue = cbc_encrypt(ue_key, _ZERO_IV, file_key)
    if owner is None:
        o, oe = os.urandom(32) + ovs + oks, os.urandom(32)
    else:
        opw = password_bytes(owner)
        o = hash_2b(opw, ovs, u) + ovs + oks
        oe = cbc_encrypt(hash_2b(opw, oks, u), _ZERO_IV, file_key)
    p = p_value(permissions)
    block = (p & 0xFFFFFFFF).to_bytes(4, "little") + b"\xff\xff\xff\xff" + b"Tadb" + os.urandom(4)  # T: metadata encrypted
    perms = ecb_encrypt(file_key, block)  # one block, as algorithm 10 says
    return SecurityEntries(o, u, oe, ue, perms, p)


def encrypt_bytes(key: bytes, data: bytes) -> bytes:
    """AESV3 of one string or stream: a random 16-byte IV, then AES-256-CBC of the PKCS#7-padded data."""
    iv = os.urandom(16)
    pad = 16 - len(data) % 16
    return iv + cbc_encrypt(key, iv, data + bytes((pad,)) * pad)


def _hex(data: bytes) -> Raw:
    return Raw(b"<" + data.hex().upper().encode("ascii") + b">")


# The catalog's /Extensions of an AES-256 file: PDF 1.7 with Adobe's extension level 8 (the
# same handler as PDF 2.0), as Acrobat writes it.
EXTENSIONS: dict[str, Obj] = {"ADBE": {"BaseVersion": Name("1.7"), "ExtensionLevel": 8}}


class Aes256:
    """The writer's encryption (``prepare`` once, then ``encode`` each string and stream, ``info``
    for the /Encrypt dictionary): AES-256, revision 6."""

    def __init__(self, user_password: str, owner_password: str | None, permissions: int) -> None:
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
            self._user, self._owner = "", None  # no longer needed

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
