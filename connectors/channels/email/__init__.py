"""Email: IMAP in, SMTP out, with parsing and quote stripping."""
