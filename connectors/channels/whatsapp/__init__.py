"""WhatsApp through Twilio: signed webhooks in, the Messages API out."""
