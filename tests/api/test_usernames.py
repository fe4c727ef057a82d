"""Usernames: one normal form, compared byte for byte; look-alikes refused or failing."""

from __future__ import annotations

import secrets

import pytest

from api.security.usernames import normalise_username
from tests.support.app import PASSWORD

LOOK_ALIKES = ["{n} ", " {n}", "{n}\u0000", "{n}\u200b", "\u200b{n}", "{n}\t"]


def registration(username):
    return {"username": username, "password": PASSWORD, "email": f"{secrets.token_hex(6)}@ex.com",
            "full_name": "Name Test", "date_of_birth": "1990-01-01"}


class TestNormalForm:
    @pytest.mark.parametrize("raw", ["BOB", "Bob", "ｂｏｂ", "bob"])
    def test_case_and_width_fold_to_one_name(self, raw):
        assert normalise_username(raw) == "bob"

    @pytest.mark.parametrize("raw", ["bób", "bob ", "bob\u0000", "bob\u200b", "b", "bo",
                                     ".bob", "bob@x", "a" * 33, "бob"])
    def test_anything_else_has_no_normal_form(self, raw):
        with pytest.raises(ValueError, match="3 to 32 characters"):
            normalise_username(raw)

    async def test_the_column_compares_bytes(self, bank):
        row = bank.sql("SELECT COLLATION_NAME AS c FROM information_schema.COLUMNS "
                       "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' "
                       "AND COLUMN_NAME = 'username'")[0]
        assert row["c"] == "utf8mb4_bin"


class TestRegistration:
    async def test_the_normal_form_is_stored(self, client, bank):
        name = f"Mixed.Case-{secrets.token_hex(3)}"
        response = await client.post("/auth/register", json=registration(name))
        assert response.status_code == 201
        assert response.json()["username"] == name.lower()
        login = await client.post("/auth/login", json={"username": name.upper(),
                                                       "password": PASSWORD})
        assert login.status_code == 200

    @pytest.mark.parametrize("template", [*LOOK_ALIKES, "{n}ó", "x́{n}"])
    async def test_look_alikes_are_a_clear_422(self, client, template):
        name = template.format(n=f"u{secrets.token_hex(4)}")
        response = await client.post("/auth/register", json=registration(name))
        assert response.status_code == 422, response.text
        assert "3 to 32 characters" in response.json()["detail"]

    async def test_a_case_variant_of_a_taken_name_is_taken(self, client, bank):
        person = await bank.person()
        again = await client.post("/auth/register", json=registration(person.username.upper()))
        assert again.status_code == 409
        assert again.json()["code"] == "USERNAME_TAKEN"


class TestLogin:
    async def test_look_alikes_fail_like_a_wrong_password(self, client, bank):
        person = await bank.person()
        accented = person.username.replace("u", "\u00fa", 1)  # 'ú'
        for name in [t.format(n=person.username) for t in LOOK_ALIKES] + [accented]:
            response = await client.post("/auth/login", json={"username": name,
                                                              "password": PASSWORD})
            assert response.status_code == 401, (repr(name), response.text)
            assert response.json()["code"] == "INVALID_CREDENTIALS"
