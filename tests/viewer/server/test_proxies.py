"""Which address a login is counted against: X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import pytest

from viewer.server.config import ServerConfigError, config_from_dict
from viewer.server.proxies import BadProxy, client_address, networks


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says():
    assert client_address("127.0.0.1", "203.0.113.7", []) == "127.0.0.1"


def test_from_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client():
    trusted = networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.7", trusted) == "203.0.113.7"  # the left part is the client's to forge
    assert client_address("127.0.0.1", "203.0.113.7, 10.1.2.3", trusted) == "203.0.113.7"  # a second trusted proxy is skipped
    assert client_address("192.0.2.50", "203.0.113.7", trusted) == "192.0.2.50"  # not from a trusted proxy: header ignored
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"


def test_a_wrong_trusted_proxy_entry_is_named():
    with pytest.raises(BadProxy, match="'proxy.example'"):
        networks(["proxy.example"])
    with pytest.raises(ServerConfigError, match="trusted_proxies: 'proxy.example' is not an IP address"):
        config_from_dict({"trusted_proxies": ["proxy.example"]})
