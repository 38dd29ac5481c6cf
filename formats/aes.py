"""AES-CBC and one-block AES-ECB encryption with the OpenSSL that ``hashlib`` already loaded, called through ctypes.

The PDF protection needs a few hundred AES calls per file (algorithm 2.B's rounds, then one per
string and stream). ``cryptography`` does them through its Rust binding, whose import costs
about 25 M instructions, more than half of ``python -c pass``, and each call builds three
Python objects. CPython's ``_hashlib`` is linked to OpenSSL's libcrypto, so the library is in
the process already: its EVP functions are looked up through ``_hashlib``'s own handle (the
dynamic linker searches the library and its dependencies) and called with ctypes (~9 M to
import). Where that cannot work (an interpreter with
OpenSSL linked statically or without ``_hashlib``, a libcrypto without the symbols), the same
functions use ``cryptography``: both roads give the same bytes (tests/formats/test_aes.py).
Encryption only: spoolview writes protected PDFs, it never decrypts them itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["backend", "cbc_encrypt", "ecb_encrypt"]

_BLOCK = 16
_KEY_SIZES = (16, 32)  # AES-128 for algorithm 2.B's rounds, AES-256 for the file key


def _check(key: bytes, iv: bytes | None, data: bytes) -> None:
    # The C functions read as many bytes as the cipher wants: lengths are checked here, never trusted.
    if len(key) not in _KEY_SIZES:
        raise ValueError(f"AES key of {len(key)} bytes (16 or 32 expected)")
    if iv is not None and len(iv) != _BLOCK:
        raise ValueError(f"AES-CBC IV of {len(iv)} bytes (16 expected)")
    if len(data) % _BLOCK:
        raise ValueError(f"AES data of {len(data)} bytes, not a multiple of 16 (pad it first)")


class _OpenSSL:
    """libcrypto's EVP encryption functions, found through ``_hashlib``'s handle."""

    def __init__(self) -> None:
        import _hashlib  # the C module hashlib uses: linked to libcrypto
        import ctypes

        path = _hashlib.__file__
        if not path:
            raise OSError("_hashlib is built into the interpreter")
        lib = ctypes.CDLL(path)
        vp, c_int = ctypes.c_void_p, ctypes.c_int
        self._ctypes = ctypes

        def fn(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
            f = lib[name]  # AttributeError: a libcrypto without it (the caller falls back)
            f.restype = restype
            f.argtypes = argtypes
            return f

        ciphers = {(16, "cbc"): fn("EVP_aes_128_cbc", vp)(), (32, "cbc"): fn("EVP_aes_256_cbc", vp)(),
                   (16, "ecb"): fn("EVP_aes_128_ecb", vp)(), (32, "ecb"): fn("EVP_aes_256_ecb", vp)()}
        if not all(ciphers.values()):
            raise OSError("libcrypto has no AES cipher")
        self._ciphers = ciphers
        self._new = fn("EVP_CIPHER_CTX_new", vp)
        self._free = fn("EVP_CIPHER_CTX_free", None, vp)
        self._init = fn("EVP_EncryptInit_ex", c_int, vp, vp, vp, ctypes.c_char_p, ctypes.c_char_p)
        self._padding = fn("EVP_CIPHER_CTX_set_padding", c_int, vp, c_int)
        self._update = fn("EVP_EncryptUpdate", c_int, vp, ctypes.c_char_p, ctypes.POINTER(c_int), ctypes.c_char_p, c_int)

    def encrypt(self, mode: str, key: bytes, iv: bytes | None, data: bytes) -> bytes:
        ctypes = self._ctypes
        ctx = self._new()  # one context per call: nothing shared between threads, nothing left to free
        if not ctx:
            raise MemoryError("EVP_CIPHER_CTX_new failed")
        try:
            # Unpadded: whole blocks in, as many out, all from EncryptUpdate (Final would add nothing).
            if self._init(ctx, self._ciphers[len(key), mode], None, key, iv) != 1 or self._padding(ctx, 0) != 1:
                raise RuntimeError("EVP_EncryptInit_ex failed")
            out = ctypes.create_string_buffer(len(data) or 1)
            written = ctypes.c_int(0)
            if self._update(ctx, out, ctypes.byref(written), data, len(data)) != 1 or written.value != len(data):
                raise RuntimeError("EVP_EncryptUpdate failed")
            result: bytes = out.raw[: len(data)]
            return result
        finally:
            self._free(ctx)


class _Cryptography:
    """The same two functions with ``cryptography`` (OpenSSL through its own binding)."""

    def encrypt(self, mode: str, key: bytes, iv: bytes | None, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        chosen = modes.CBC(iv) if iv is not None else modes.ECB()
        enc = Cipher(algorithms.AES(key), chosen).encryptor()
        return enc.update(data) + enc.finalize()


_engine: _OpenSSL | _Cryptography | None = None
_engine_lock = threading.Lock()


def _load() -> _OpenSSL | _Cryptography:
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                _engine = _OpenSSL()
            except (OSError, AttributeError, ImportError):
                _engine = _Cryptography()
        return _engine


def backend() -> str:
    """Which road encrypts in this process: ``"openssl-ctypes"`` or ``"cryptography"``."""
    engine = _engine or _load()
    return "openssl-ctypes" if isinstance(engine, _OpenSSL) else "cryptography"


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CBC of ``data`` (whole 16-byte blocks, no padding); a 16-byte key is AES-128, 32 bytes AES-256."""
    _check(key, iv, data)
    return (_engine or _load()).encrypt("cbc", key, iv, data)


def ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """AES-ECB of whole 16-byte blocks (algorithm 10's single block of /Perms)."""
    _check(key, None, data)
    return (_engine or _load()).encrypt("ecb", key, None, data)
