"""Real-time delivery: a small ASGI WebSocket endpoint beside Django, with an
in-process hub (one process) or Redis pub/sub (many processes) behind it."""
