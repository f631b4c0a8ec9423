"""Gateway: channels (web chat, WhatsApp, email), conversation store, handoff, agent console."""
