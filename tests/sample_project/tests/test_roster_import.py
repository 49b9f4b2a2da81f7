"""The app's import against rosterlab's mock SIS: the `mock_sis` fixture comes from rosterlab's pytest plugin."""

import pytest
from roster_import import access_token, fetch_users


def test_imports_every_user_of_the_demo_district(mock_sis):
    token = access_token(mock_sis.token_url, mock_sis.client_id, mock_sis.client_secret)
    users = fetch_users(mock_sis.base_url, token)
    assert len(users) == len({user["sourcedId"] for user in users}) > 10


@pytest.mark.mock_sis(users=150, seed=3, profile="powerschool")
def test_imports_a_generated_district_from_a_powerschool_like_provider(mock_sis):
    token = access_token(mock_sis.token_url, mock_sis.client_id, mock_sis.client_secret)
    users = fetch_users(mock_sis.base_url, token, page_size=40)
    assert {role["role"] for user in users for role in user["roles"]} >= {"student", "teacher"}


def test_a_wrong_secret_is_refused(mock_sis):
    with pytest.raises(Exception, match="401"):
        access_token(mock_sis.token_url, mock_sis.client_id, "not-the-secret")
