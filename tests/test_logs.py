import logging

from tokbridge.kit.logs import RedactSecrets, redact


def test_secrets_are_masked_in_log_messages():
    line = redact('refresh with access_token=TTP_abc123&app_secret=shh "refresh_token": "TTP_zzz" password=hunter2')
    for secret in ("TTP_abc123", "shh", "TTP_zzz", "hunter2"):
        assert secret not in line
    assert "access_token=***" in line


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "calling with x-tts-access-token: %s", ("TTP_live",), None
    )
    RedactSecrets().filter(record)
    assert "TTP_live" not in record.getMessage()


def test_any_platforms_access_token_header_is_masked():
    """The header of a store added later is masked without editing the pattern (it names no platform)."""
    for header in ("X-Shopify-Access-Token", "x-tts-access-token", "X-Any-Store-Access-Token"):
        line = redact(f"request headers {{'{header}': 'tok_live_123'}}")
        assert "tok_live_123" not in line, header
