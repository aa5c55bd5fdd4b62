"""The FastAPI server: WebSocket chat, the Agent Protocol API, REST extras and auth; Slack and the web UI
mount on it (``server.app.create_app``)."""
