"""The gateway database's schema, as ordered steps (runner: helpdesk/migrate.py).

Append new steps at the end; never edit one that shipped. Step 0001 uses IF NOT EXISTS so that a
database made before migrations existed is adopted as it is.
"""
from __future__ import annotations

from helpdesk.migrate import Migration

CORE = """
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    identity TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (channel, identity)
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    language TEXT,
    state TEXT NOT NULL DEFAULT 'bot' CHECK (state IN ('bot','pending','agent','closed')),
    assigned_agent_id INTEGER,
    handoff_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_customer_message_at TEXT,
    pending_since TEXT,
    thread_key TEXT,
    token_hash TEXT
);
CREATE INDEX IF NOT EXISTS conversations_contact ON conversations(contact_id, created_at);
CREATE INDEX IF NOT EXISTS conversations_state ON conversations(state, updated_at);
CREATE INDEX IF NOT EXISTS conversations_thread ON conversations(channel, thread_key);
CREATE INDEX IF NOT EXISTS conversations_token ON conversations(token_hash);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    author TEXT NOT NULL CHECK (author IN ('customer','bot','agent','system')),
    agent_id INTEGER,
    text TEXT,
    buttons TEXT,
    media TEXT,
    internal INTEGER NOT NULL DEFAULT 0,
    channel_message_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('received','queued','sent','delivered','read','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id);
CREATE INDEX IF NOT EXISTS messages_channel_id ON messages(channel_message_id);
CREATE INDEX IF NOT EXISTS messages_status ON messages(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_conversation ON events(conversation_id, id);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent','admin')),
    created_at TEXT NOT NULL
)
"""

AGENT_SESSIONS = """
CREATE TABLE IF NOT EXISTS agent_sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id INTEGER,
    csrf_token TEXT,
    created_at TEXT,
    expires_at TEXT
)
"""

# A disabled agent keeps their name on past messages but can't log in (helpdesk agents disable).
AGENTS_DISABLED = "ALTER TABLE agents ADD COLUMN disabled_at TEXT"

# Keyed hash of the web client's address (connectors.client_address): per-address limits on
# queued conversations and failed order lookups. Never the address itself.
CONVERSATION_CLIENT = """
ALTER TABLE conversations ADD COLUMN client_hash TEXT;
CREATE INDEX IF NOT EXISTS conversations_client ON conversations(client_hash, state)
"""

# A WhatsApp message template an agent sent (outside the 24-hour window): {name, language,
# content_sid, variables}; the WhatsApp sender passes ContentSid + ContentVariables to Twilio.
MESSAGE_TEMPLATE = "ALTER TABLE messages ADD COLUMN template TEXT"

# Canned responses: per shop (the shops work adds shops; until then everything is 'default') and
# language; an agent types "/" + shortcut in the composer. Managed by admins.
CANNED_RESPONSES = """
CREATE TABLE canned_responses (
    id INTEGER PRIMARY KEY,
    shop_id TEXT NOT NULL DEFAULT 'default',
    language TEXT NOT NULL CHECK (language IN ('nl','fr')),
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (shop_id, language, shortcut)
)
"""

# "Reply by email to X": a web-chat customer outside business hours leaves an address; agents'
# replies in that conversation then go out by email (connectors/outbox.py delivery_channel).
REPLY_EMAIL = "ALTER TABLE conversations ADD COLUMN reply_email TEXT"

# Issue 10: every conversation belongs to a shop (shops.yml), fixed when it starts; NULL = made
# before shops existed (treated as the default shop). Agents may be limited to some shops.
CONVERSATION_SHOP = """
ALTER TABLE conversations ADD COLUMN shop TEXT;
CREATE INDEX IF NOT EXISTS conversations_shop ON conversations(shop, state, updated_at)
"""

AGENT_SHOPS = """
CREATE TABLE IF NOT EXISTS agent_shops (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    shop TEXT NOT NULL,
    PRIMARY KEY (agent_id, shop)
)
"""

# The shop's own address the customer wrote to (WhatsApp `To` number, inbox address): replies go
# out from it, so a customer who wrote to shop B's number hears back from that number.
CONVERSATION_SHOP_ADDRESS = """
ALTER TABLE conversations ADD COLUMN shop_address TEXT
"""

# Customer satisfaction, stored with the conversation (issue 13): asked once after it closed.
CSAT = """
ALTER TABLE conversations ADD COLUMN csat_asked_at TEXT;
ALTER TABLE conversations ADD COLUMN csat_score INTEGER CHECK (csat_score BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN csat_answered_at TEXT;
CREATE INDEX IF NOT EXISTS events_type ON events(type, created_at)
"""

# GDPR forgetting and retention (issue 13): when a conversation's personal data was removed.
FORGOTTEN = """
ALTER TABLE conversations ADD COLUMN forgotten_at TEXT
"""

# Several gateways on one store (docs/scaling.md): an outbound row is sent by the gateway that
# holds its lease (claimed_by, claimed_until), and an inbound channel message id is unique per
# channel, so a webhook redelivered to another gateway is stored once. `inbound_channel` is set
# only on inbound rows with a channel message id (the first of any old duplicates).
SCALE_OUT = """
ALTER TABLE messages ADD COLUMN claimed_by TEXT;
ALTER TABLE messages ADD COLUMN claimed_until TEXT;
ALTER TABLE messages ADD COLUMN inbound_channel TEXT;
UPDATE messages SET inbound_channel = (SELECT c.channel FROM conversations c WHERE c.id = messages.conversation_id)
 WHERE id IN (SELECT MIN(m.id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
              WHERE m.direction = 'in' AND m.channel_message_id IS NOT NULL
              GROUP BY c.channel, m.channel_message_id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_inbound_unique ON messages(inbound_channel, channel_message_id)
"""

# Jobs that must run on one gateway only (the IMAP poller): a lease row per job (store.hold_lease).
LEASES = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    until TEXT
)
"""

MIGRATIONS: list[Migration] = [
    ("0001_core", CORE),
    ("0002_agent_sessions", AGENT_SESSIONS),
    ("1250_agents_disabled", AGENTS_DISABLED),
    ("1251_conversation_client", CONVERSATION_CLIENT),
    ("1401_message_template", MESSAGE_TEMPLATE),
    ("1402_canned_responses", CANNED_RESPONSES),
    ("1403_conversation_reply_email", REPLY_EMAIL),
    ("1001_conversation_shop", CONVERSATION_SHOP),
    ("1002_agent_shops", AGENT_SHOPS),
    ("1003_conversation_shop_address", CONVERSATION_SHOP_ADDRESS),
    ("1301_csat", CSAT),
    ("1302_forgotten", FORGOTTEN),
    ("1101_scale_out", SCALE_OUT),
    ("1102_leases", LEASES),
]
