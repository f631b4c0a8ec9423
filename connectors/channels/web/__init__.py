"""Web chat: the demo page, the embeddable widget and its WebSocket."""
