"""Secrets that protect: no default or guessable secret is accepted, an unsubscribe token names
exactly one address, and a bad token is a 400, never a 500 or a suppression."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from typer.testing import CliRunner

from agent.cli.app import app as cli
from agent.errors import ConfigError
from agent.server.app import create_app
from agent.store.tables import Suppression
from tests.conftest import make_workspace
from tests.inbound.conftest import Desk
from tests.server.conftest import serving


def _signed(payload: bytes, secret: str) -> str:
    """A token as our links carry it, around any payload (what a forger with the secret could make)."""
    signature = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    encode = base64.urlsafe_b64encode
    return f"{encode(payload).rstrip(b'=').decode()}.{encode(signature).rstrip(b'=').decode()}"


@pytest.mark.parametrize("weak", ["change-me", "secret", "short-one"])
def test_a_default_or_guessable_secret_is_refused_with_one_line(tmp_path, weak: str) -> None:
    with pytest.raises(ConfigError, match="at least 16 characters that nobody could guess"):
        make_workspace(tmp_path, unsubscribe_secret=weak)
    with pytest.raises(ConfigError, match="at least 16 characters"):
        make_workspace(tmp_path, inbound_secret=weak)


def test_the_server_and_smtp_sending_refuse_to_run_without_a_set_secret(tmp_path, monkeypatch) -> None:
    ws = make_workspace(tmp_path)
    with pytest.raises(ConfigError, match="SDR_UNSUBSCRIBE_SECRET is not set: it is needed for `sdr serve`"):
        create_app(ws)
    smtp = make_workspace(tmp_path, mail_transport="smtp")
    with pytest.raises(ConfigError, match="SDR_UNSUBSCRIBE_SECRET is not set: it is needed for sending through SMTP"):
        _ = smtp.transports
    monkeypatch.setenv("SDR_MAIL_TRANSPORT", "smtp")
    result = CliRunner().invoke(cli, ["send"])
    assert result.exit_code != 0 and "SDR_UNSUBSCRIBE_SECRET is not set" in str(result.exception)


def test_the_embedded_outbox_signs_with_a_random_secret_of_its_own(tmp_path) -> None:
    first = make_workspace(tmp_path).unsubscribe_secret
    assert len(first) >= 32 and first == make_workspace(tmp_path).unsubscribe_secret  # kept in the workspace
    assert first != make_workspace(tmp_path / "other").unsubscribe_secret


def test_a_token_for_a_domain_or_for_no_address_is_a_400_and_suppresses_nothing(desk: Desk, app: Starlette) -> None:
    secret = desk.ws.unsubscribe_secret
    forged = [
        _signed(b"@reno-freight.example|q4-dock-ops", secret),  # a whole domain
        _signed(b"not an address|q4-dock-ops", secret),
        _signed(b"a@b.example,c@d.example|q4-dock-ops", secret),
        _signed(b"\xff\xfe|q4-dock-ops", secret),
    ]
    one_click = {"content": b"List-Unsubscribe=One-Click"}
    with serving(app) as base, httpx.Client(base_url=base) as client:
        answers = [client.post(f"/unsubscribe?t={t}", **one_click).status_code for t in forged]
        answers += [client.get(f"/unsubscribe?t={t}").status_code for t in forged]
    assert answers == [400] * 8
    with desk.ws.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
