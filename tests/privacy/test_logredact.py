import logging

from privacy.logredact import RedactingFilter, redact


def test_phone_email_and_token_are_redacted():
    text = redact("sent to +13125550101 and maria@example.org with token=abc123 ok")
    assert "+13125550101" not in text
    assert "maria@example.org" not in text
    assert "abc123" not in text
    assert "[phone]" in text and "[email]" in text


def test_the_filter_rewrites_a_record_with_args(caplog):
    logger = logging.getLogger("tests.redact")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.redact"):
            logger.info("calling %s for %s", "(312) 555-0101", "ana@example.org")
    finally:
        logger.filters.clear()
    assert caplog.records[0].getMessage() == "calling [phone] for [email]"


def test_ids_and_short_numbers_survive():
    assert redact("message 42 attempt 3 of person 1234") == "message 42 attempt 3 of person 1234"
