"""The command line: development tokens and clear refusals."""

import jwt
import pytest

from services.__main__ import main
from shared.config import DEVELOPMENT_JWT_SECRET


def test_a_development_token_carries_the_claims_of_the_contract(capsys):
    assert main(["token", "--role", "coordinator", "--institution", "SSMU"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), DEVELOPMENT_JWT_SECRET, algorithms=["HS256"])
    assert {k: claims[k] for k in ("sub", "role", "institution", "locale")} == {
        "sub": "ssmu-coordinator", "role": "coordinator", "institution": "SSMU", "locale": "ru"}
    assert claims["name"] == "Д-р Ирина Петрова" and claims["exp"] > claims["iat"]


def test_production_settings_without_a_secret_are_refused_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("APP_ENV", "production")
    assert main(["token"]) == 2
    assert "JWT_SECRET" in capsys.readouterr().err


def test_an_unknown_service_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["relay", "billing"])
