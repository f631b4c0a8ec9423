"""NL/FR customer-support assistant: the CLI and the settings shared by every part."""
