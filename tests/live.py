"""Run an ASGI application on a real loopback socket for end-to-end tests."""

from __future__ import annotations

import threading
import time

import uvicorn


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app, **options) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on", **options
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def bearer(http, url: str, token_path: str = "/oauth/token") -> dict[str, str]:
    """Authorization headers with a token of the demo OAuth 2.0 client from the server at `url`."""
    from rosterlab.server.auth.demo import DEMO_OAUTH2

    issued = http.post(
        url + token_path, data={"grant_type": "client_credentials"}, auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    )
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}
