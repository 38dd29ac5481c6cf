"""Directory endpoints: search, records, and lookup by the same rule L1 as locally."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from formats.document import DocInfo
from tests.viewer.server.live import LiveServer, smtp_config
from viewer.directory import Directory

PASSWORDS = {"alice": "alice-pw"}


def fill_directory(tmp: Path, samples: Path) -> str:
    """A directory database under ``tmp`` holding the sample customers and contacts; its URL."""
    url = f"sqlite:///{tmp / 'directory.sqlite'}"
    directory = Directory(url)
    report = directory.import_csv(samples / "customers.csv", samples / "contacts.csv")
    assert report.ok, report.errors
    directory.close()
    return url


@pytest.fixture
def server(tmp_path, smtpd, samples):
    config = smtp_config(tmp_path, smtpd, directory_url=fill_directory(tmp_path, samples))
    with LiveServer(config, users=PASSWORDS) as live:
        yield live


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url) as c:
        token = c.post("/login", json={"user": "alice", "password": "alice-pw"}).json()["token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_search_and_records(client):
    found = client.get("/directory/search", params={"text": "dupr"}).json()
    assert any(e["code"] == "CLI001" for e in found)
    customer = client.get("/directory/customers/CLI001").json()
    assert customer["name"] == "Atelier Dupré SARL"
    contacts = client.get("/directory/customers/CLI001/contacts").json()
    assert {c["code"] for c in contacts} >= {"CT0001", "CT0002"}
    assert client.get("/directory/contacts/CT0001").json()["customer_code"] == "CLI001"


def test_unknown_records_get_404(client):
    response = client.get("/directory/customers/NOPE")
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]
    assert client.get("/directory/contacts/NOPE").status_code == 404


@pytest.mark.parametrize(
    ("info", "address_type"),
    [
        (DocInfo(kind="devis", customer="CLI001", contact="CT0002"), "EMAIL"),
        (DocInfo(kind="devis", customer="CLI001"), "EMAIL"),
        (DocInfo(kind="facture", customer="CLI002"), "EMAIL"),
        (DocInfo(kind="facture", customer="CLI002"), "FAX"),
        (DocInfo(kind="devis", customer="NOPE"), "EMAIL"),
        (DocInfo(kind="devis"), "EMAIL2"),
        (DocInfo(customer="CLI001", contact="CT9999"), "EMAIL"),
        (DocInfo(customer="CLI001", contact="CT0003"), "EMAIL"),  # another customer's contact
    ],
)
def test_lookup_through_the_server_equals_the_local_rule(server, client, info, address_type):
    local = Directory(server.app.state.config.directory_url).lookup(info, address_type)
    remote = client.post("/directory/lookup", json={"info": info.to_dict(), "address_type": address_type}).json()
    assert remote == {
        "address": local.address,
        "name": local.name,
        "source": local.source,
        "customer_code": local.customer_code,
        "contact_code": local.contact_code,
        "message": local.message,
        "found": local.found,
        "address_type": local.address_type,
    }


def test_unknown_address_type_gets_422(client):
    response = client.post("/directory/lookup", json={"info": {"customer": "CLI001"}, "address_type": "PIGEON"})
    assert response.status_code == 422
