"""Secrets at rest: encrypted, bound to their row, rotatable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from tokbridge.channels.models import ChannelConnection
from tokbridge.config import get_settings
from tokbridge.db.engine import session_scope
from tokbridge.db.rotation import rotate_all
from tokbridge.kit.crypto import DecryptionError


def _connection(engine, merchant_id, external_id, token):
    with session_scope(engine) as session:
        connection = ChannelConnection(merchant_id=merchant_id, channel="tiktok", external_id=external_id)
        connection.access_token = token
        session.add(connection)
        session.flush()
        return connection.id


def test_tokens_are_encrypted_in_the_database(engine, merchant_id):
    conn_id = _connection(engine, merchant_id, "shop-1", "TTP_super_secret_token")
    with engine.connect() as db:
        stored = db.execute(text("SELECT access_token_ciphertext FROM channel_connection")).scalar_one()
    assert "TTP_super_secret_token" not in stored
    with session_scope(engine) as session:
        assert session.get(ChannelConnection, conn_id).access_token == "TTP_super_secret_token"


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(engine, merchant_id):
    first = _connection(engine, merchant_id, "shop-1", "token-of-shop-1")
    second = _connection(engine, merchant_id, "shop-2", "token-of-shop-2")
    with engine.begin() as db:
        stolen = db.execute(
            text("SELECT access_token_ciphertext FROM channel_connection WHERE id = :id"), {"id": first}
        ).scalar_one()
        db.execute(
            text("UPDATE channel_connection SET access_token_ciphertext = :c WHERE id = :id"),
            {"c": stolen, "id": second},
        )
    with session_scope(engine) as session:
        with pytest.raises(DecryptionError):
            _ = session.get(ChannelConnection, second).access_token
        assert session.get(ChannelConnection, first).access_token == "token-of-shop-1"


def test_rotate_keys_re_encrypts_with_the_newest_key(engine, merchant_id, monkeypatch):
    old_keys = os.environ["ENCRYPTION_KEYS"]
    conn_id = _connection(engine, merchant_id, "shop-1", "rotating-token")
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{new_key},{old_keys}")
    get_settings.cache_clear()
    assert rotate_all(engine) == 1
    monkeypatch.setenv("ENCRYPTION_KEYS", new_key)  # the old key is gone now
    get_settings.cache_clear()
    with session_scope(engine) as session:
        assert session.get(ChannelConnection, conn_id).access_token == "rotating-token"


def test_without_the_key_nothing_decrypts(engine, merchant_id, monkeypatch):
    conn_id = _connection(engine, merchant_id, "shop-1", "token")
    monkeypatch.setenv("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with session_scope(engine) as session:
        with pytest.raises(DecryptionError):
            _ = session.get(ChannelConnection, conn_id).access_token


def test_init_writes_a_private_key_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ENCRYPTION_KEYS")}
    result = subprocess.run(
        [sys.executable, "-m", "tokbridge.cli", "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "var" / "secrets.env"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    lines = dict(line.split("=", 1) for line in key_file.read_text().splitlines())
    Fernet(lines["ENCRYPTION_KEYS"].encode())  # a valid key
    assert len(lines["SECRET_KEY"]) >= 40


def test_a_malformed_setting_stops_start_up_naming_it(tmp_path):
    env = {**os.environ, "ENCRYPTION_KEYS": "not-a-key", "REDIS_URL": "http://wrong"}
    result = subprocess.run(
        [sys.executable, "-m", "tokbridge.cli", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ENCRYPTION_KEYS" in result.stderr and "REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secrets_stop_start_up_with_advice(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ENCRYPTION_KEYS")}
    result = subprocess.run(
        [sys.executable, "-m", "tokbridge.cli", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "tokbridge init" in result.stderr
