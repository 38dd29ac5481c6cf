"""formats.aes: OpenSSL's AES through ctypes gives cryptography's bytes, refuses bad lengths, and falls back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from formats import aes


def _reference(key: bytes, iv: bytes | None, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv) if iv is not None else modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def test_this_interpreter_encrypts_with_the_libcrypto_hashlib_loaded() -> None:
    assert aes.backend() == "openssl-ctypes"


@pytest.mark.parametrize("key_size", [16, 32])
@pytest.mark.parametrize("size", [0, 16, 32, 4096, 5120])
def test_cbc_and_ecb_give_the_bytes_cryptography_gives(key_size: int, size: int) -> None:
    key, iv, data = os.urandom(key_size), os.urandom(16), os.urandom(size)
    assert aes.cbc_encrypt(key, iv, data) == _reference(key, iv, data)
    assert aes.ecb_encrypt(key, data) == _reference(key, None, data)


def test_a_known_answer_of_fips_197() -> None:
    # FIPS-197 appendix C.3: AES-256 of 00112233...eeff with the key 000102...1f.
    key, plain = bytes(range(32)), bytes.fromhex("00112233445566778899aabbccddeeff")
    assert aes.ecb_encrypt(key, plain).hex() == "8ea2b7ca516745bfeafc49904b496089"


def test_the_cryptography_road_gives_the_same_bytes() -> None:
    fallback = aes._Cryptography()
    key, iv, data = os.urandom(32), os.urandom(16), os.urandom(160)
    assert fallback.encrypt("cbc", key, iv, data) == aes.cbc_encrypt(key, iv, data)
    assert fallback.encrypt("ecb", key, None, data[:16]) == aes.ecb_encrypt(key, data[:16])


@pytest.mark.parametrize(("key", "iv", "data", "message"), [
    (bytes(24), bytes(16), bytes(16), "key of 24 bytes"),  # AES-192 is never used: refused, not guessed
    (bytes(5), bytes(16), bytes(16), "key of 5 bytes"),
    (bytes(32), bytes(8), bytes(16), "IV of 8 bytes"),
    (bytes(32), bytes(16), bytes(17), "not a multiple of 16"),
])
def test_lengths_the_c_function_would_overread_are_refused(key: bytes, iv: bytes, data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aes.cbc_encrypt(key, iv, data)


def test_the_ecb_block_length_is_checked_too() -> None:
    with pytest.raises(ValueError, match="not a multiple of 16"):
        aes.ecb_encrypt(bytes(32), b"short")


def test_without_the_libcrypto_the_cryptography_road_is_taken() -> None:
    # An interpreter whose _hashlib cannot be loaded (OpenSSL linked in statically, or none).
    probe = (
        "import sys; sys.modules['_hashlib'] = None\n"
        "from formats import aes\n"
        "out = aes.cbc_encrypt(bytes(32), bytes(16), bytes(32))\n"
        "print(aes.backend(), out.hex(), 'cryptography' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    backend, out, loaded = proc.stdout.split()
    assert backend == "cryptography" and loaded == "True"
    assert bytes.fromhex(out) == _reference(bytes(32), bytes(16), bytes(32))


def test_the_openssl_road_imports_neither_cryptography_nor_hashlib() -> None:
    probe = ("import sys\nfrom formats import aes\naes.cbc_encrypt(bytes(32), bytes(16), bytes(16))\n"
             "print(aes.backend(), 'cryptography' in sys.modules, 'hashlib' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.split() == ["openssl-ctypes", "False", "False"]


def test_threads_encrypt_at_once_without_mixing_their_data() -> None:
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(os.urandom(32), os.urandom(16), os.urandom(4096)) for _ in range(32)]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda job: aes.cbc_encrypt(*job), jobs))
    assert outs == [_reference(*job) for job in jobs]
