"""The service after a personal-data key rotation: old profiles read, new data uses the new key."""

from __future__ import annotations

import base64

from api.main import create_app
from api.security.pii import PiiCipher
from tests.support.app import client_for, make_settings, running

THIRD = base64.b64encode(b"t" * 32).decode()


class TestTheServiceAfterARotation:
    async def test_old_profiles_read_and_new_data_is_written_with_the_newest_key(
        self, admin_url, database, bank
    ):
        person = await bank.person()  # written by the suite's app, with the original key
        ring = f"k7:{THIRD}"
        settings = make_settings(admin_url, database, pii_keys=ring)
        rotated = create_app(settings)
        async with running(rotated), client_for(rotated) as client:
            profile = await client.get("/users/profile", headers=person.auth)
            assert profile.status_code == 200, profile.text
            assert profile.json()["full_name"] == f"Test {person.username}"
            changed = await client.put("/users/profile", headers=person.auth,
                                       json={"phone": "+962 790000123"})
            assert changed.status_code == 200, changed.text
            assert changed.json()["phone"] == "+962 790000123"
        row = bank.sql("SELECT phone_enc FROM users WHERE username = %s", person.username)[0]
        cipher = PiiCipher.from_settings(settings)
        assert cipher.key_id(row["phone_enc"]) == "k7"
