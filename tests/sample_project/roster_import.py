"""A learning app's roster import: every user of a OneRoster 1.2 provider, over OAuth 2.0."""

from __future__ import annotations

import httpx


def access_token(token_url: str, client_id: str, client_secret: str) -> str:
    """A client-credentials token."""
    response = httpx.post(token_url, data={"grant_type": "client_credentials"}, auth=(client_id, client_secret))
    response.raise_for_status()
    return response.json()["access_token"]


def fetch_users(base_url: str, token: str, page_size: int = 100) -> list[dict]:
    """Every user, page by page."""
    users: list[dict] = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            page = client.get(f"{base_url}/users", params={"limit": page_size, "offset": len(users)})
            page.raise_for_status()
            batch = page.json()["users"]
            users += batch
            if not batch or len(users) >= int(page.headers["X-Total-Count"]):
                return users
