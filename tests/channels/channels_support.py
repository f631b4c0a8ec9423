"""Constants and helpers shared by the channel tests and their fixtures (local test servers' credentials)."""

from support.waiting import free_port, settle, wait_until  # noqa: F401  (tests/support: the one shared copy)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
WA_FROM = "whatsapp:+14155238886"
MAILBOX = "support@shop.test"
MAILBOX_PASSWORD = "imap-secret"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-secret"


def whatsapp_settings(twilio) -> dict:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": WA_FROM,
        "TWILIO_API_BASE_URL": twilio.base_url,
    }


def email_settings(dovecot, sink) -> dict:
    return {
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(dovecot.port),
        "IMAP_USER": MAILBOX,
        "IMAP_PASSWORD": MAILBOX_PASSWORD,
        "IMAP_SSL": "0",
        "IMAP_POLL_SECONDS": "0.3",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.port),
        "SMTP_USER": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_STARTTLS": "0",
        "SMTP_FROM": f"Shop Support <{MAILBOX}>",
        "SHOP_NAME": "Test Shop",
    }
