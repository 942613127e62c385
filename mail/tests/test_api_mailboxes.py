"""/api/support/mailboxes: Django admin's mailboxes through the API, for the same people, with
the same rules (the admin's form and the model's clean), and never a secret in an answer."""

from __future__ import annotations

import zlib
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from agents.models import Team
from agents.services import sync_staff_flag
from agents.tests.factories import AgentFactory, UserFactory
from conftest import api_client_for
from mail.models import InboundEmail, Mailbox
from mail.tests.conftest import PASSWORD_ENV
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

LIST = "/api/support/mailboxes"
SECRET_PASSWORD = "PASSWORD-VALUE-4e1b"  # what the environment holds; never in an answer


def detail(mailbox: Mailbox) -> str:
    return f"{LIST}/{mailbox.pk}"


@pytest.fixture
def root_api(admin_user):
    return api_client_for(admin_user)


@pytest.fixture
def support_mailbox(category) -> Mailbox:
    return Mailbox.objects.create(
        name="Support",
        host="imap.example.com",
        username="support@example.com",
        password_env="IMAP_SUPPORT_PASSWORD",
        category=category,
    )


def body(**fields) -> dict:
    return {
        "name": "Sales",
        "host": "imap.example.com",
        "username": "sales@example.com",
        "password_env": "IMAP_SALES_PASSWORD",
        "category": "general",
        **fields,
    }


# --- Who ----------------------------------------------------------------------------------


def test_anonymous_callers_get_401(anonymous_api, support_mailbox):
    assert anonymous_api.get(LIST).status_code == 401
    assert anonymous_api.post(LIST, body(), format="json").status_code == 401


def test_agents_supervisors_and_integrations_get_403(agent_api, supervisor_api, integration_api, support_mailbox):
    for client in (agent_api, supervisor_api, integration_api):
        assert client.get(LIST).status_code == 403
        assert client.get(detail(support_mailbox)).status_code == 403
        assert client.post(LIST, body(), format="json").status_code == 403
        assert client.patch(detail(support_mailbox), {"enabled": False}, format="json").status_code == 403
        assert client.delete(detail(support_mailbox)).status_code == 403
        assert client.post(f"{detail(support_mailbox)}/poll").status_code == 403
    assert Mailbox.objects.get().enabled


def test_an_agent_with_the_admin_role_gets_403_as_in_django_admin(category, support_mailbox):
    """No group holds mail's permissions: Django admin shows them no mailboxes, and neither does the API."""
    admin_agent = AgentFactory(user__username="ada", role="admin", specializations=[category])
    sync_staff_flag(admin_agent)
    admin_agent.user.refresh_from_db()
    assert admin_agent.user.is_staff

    client = api_client_for(admin_agent.user)

    assert client.get(LIST).status_code == 403
    assert client.post(LIST, body(), format="json").status_code == 403


def test_a_staff_user_given_the_permissions_in_admin_may_do_what_they_allow(support_mailbox):
    staff = UserFactory(username="mailroom", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_mailbox"))
    client = api_client_for(staff)

    assert client.get(LIST).status_code == 200
    assert client.patch(detail(support_mailbox), {"enabled": False}, format="json").status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="change_mailbox"))
    staff = type(staff).objects.get(pk=staff.pk)  # permissions are cached on the user
    client = api_client_for(staff)
    assert client.patch(detail(support_mailbox), {"enabled": False}, format="json").status_code == 200
    assert client.delete(detail(support_mailbox)).status_code == 403
    assert client.post(LIST, body(), format="json").status_code == 403


def test_superusers_read_the_list(root_api, support_mailbox):
    answer = root_api.get(LIST)

    assert answer.status_code == 200
    assert [row["name"] for row in answer.json()["results"]] == ["Support"]


# --- Create, read, change, delete ---------------------------------------------------------


def test_it_creates_a_mailbox_with_the_models_defaults(root_api, category):
    answer = root_api.post(LIST, body(), format="json")

    assert answer.status_code == 201, answer.json()
    mailbox = Mailbox.objects.get(name="Sales")
    assert answer.json()["id"] == mailbox.pk
    assert (mailbox.port, mailbox.security, mailbox.folder, mailbox.auth) == (993, "tls", "INBOX", "password")
    assert mailbox.category == category
    assert answer.json()["state"] == "not_polled"
    assert answer.json()["category"] == "general"


def test_it_creates_an_oauth2_mailbox(root_api, category):
    answer = root_api.post(
        LIST,
        body(
            auth="oauth2",
            password_env="",
            oauth_provider="microsoft",
            oauth_tenant="contoso.onmicrosoft.com",
            oauth_client_id="3f0c-app",
            oauth_client_secret_env="IMAP_OAUTH_CLIENT_SECRET",
        ),
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert answer.json()["oauth_token_url_used"] == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert answer.json()["oauth_scope_used"] == "https://outlook.office365.com/.default"


def test_a_patch_changes_the_fields_given_and_keeps_the_others(root_api, support_mailbox):
    team = Team.objects.create(name="Billing")

    answer = root_api.patch(detail(support_mailbox), {"team": team.pk, "port": 143, "security": "starttls"},
                            format="json")  # fmt: skip

    assert answer.status_code == 200, answer.json()
    support_mailbox.refresh_from_db()
    assert (support_mailbox.team, support_mailbox.port, support_mailbox.security) == (team, 143, "starttls")
    assert support_mailbox.host == "imap.example.com"
    assert support_mailbox.password_env == "IMAP_SUPPORT_PASSWORD"


def test_a_put_replaces_the_configuration(root_api, support_mailbox):
    other = CategoryFactory(slug="billing", name="Billing")

    answer = root_api.put(detail(support_mailbox), body(name="Support", host="mail.example.org", category="billing"),
                          format="json")  # fmt: skip

    assert answer.status_code == 200, answer.json()
    support_mailbox.refresh_from_db()
    assert (support_mailbox.host, support_mailbox.category, support_mailbox.password_env) == (
        "mail.example.org",
        other,
        "IMAP_SALES_PASSWORD",
    )


def test_names_are_cleaned_as_in_admin(root_api, support_mailbox):
    answer = root_api.patch(detail(support_mailbox), {"password_env": "  IMAP_NEW_PASSWORD "}, format="json")

    assert answer.status_code == 200, answer.json()
    assert answer.json()["password_env"] == "IMAP_NEW_PASSWORD"
    support_mailbox.refresh_from_db()
    assert support_mailbox.password_env == "IMAP_NEW_PASSWORD"


def test_saving_clears_a_refused_oauth2_sign_in_as_admin_does(root_api, category):
    mailbox = Mailbox.objects.create(
        name="M365", host="outlook.office365.com", username="support@contoso.com", auth="oauth2",
        oauth_provider="microsoft", oauth_tenant="contoso.onmicrosoft.com", oauth_client_id="app",
        oauth_client_secret_env="SECRET_VAR", category=category, oauth_needs_reauthorization=True,
        oauth_error="invalid_client: AADSTS7000215", oauth_error_at=timezone.now(),
    )  # fmt: skip
    assert root_api.get(detail(mailbox)).json()["state"] == "needs_reauthorization"

    answer = root_api.patch(detail(mailbox), {"oauth_client_secret_env": "NEW_SECRET_VAR"}, format="json")

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["oauth_needs_reauthorization"], answer.json()["oauth_error"]) == (False, "")
    mailbox.refresh_from_db()
    assert not mailbox.oauth_needs_reauthorization and mailbox.oauth_error_at is None


def test_deleting_a_mailbox_keeps_its_emails_in_the_ledger(root_api, support_mailbox):
    email = InboundEmail.objects.create(
        email_id="a@example.org",
        content_hash="0" * 64,
        route="imap",
        mailbox=support_mailbox,
        outcome="ticket",
        size=1,
        raw=zlib.compress(b"x"),
    )

    answer = root_api.delete(detail(support_mailbox))

    assert answer.status_code == 204
    assert not Mailbox.objects.exists()
    email.refresh_from_db()
    assert email.mailbox is None


# --- The admin's rules, each error naming its field --------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"password_env": "hunter2!"}, "password_env", "not the"),
        ({"password_env": "s3cr3t password"}, "password_env", "not the"),
        ({"password_env": ""}, "password_env", "Name the environment variable that holds the password"),
        ({"after_import": "move", "move_to": " "}, "move_to", "Name the folder"),
        ({"auth": "oauth2"}, "oauth_provider", "Choose the OAuth2 provider"),
        (
            {
                "auth": "oauth2",
                "oauth_provider": "microsoft",
                "oauth_client_id": "app",
                "oauth_tenant": "common",
                "oauth_client_secret_env": "SECRET_VAR",
            },
            "oauth_tenant",
            "names no organisation",
        ),
        (
            {
                "auth": "oauth2",
                "oauth_provider": "google",
                "oauth_client_id": "app",
                "oauth_client_secret_env": "SECRET_VAR",
            },
            "oauth_refresh_token_env",
            "Google needs a refresh token",
        ),
        (
            {
                "auth": "oauth2",
                "oauth_provider": "other",
                "oauth_client_id": "app",
                "oauth_client_secret_env": "SECRET_VAR",
                "oauth_token_url": "https://me:pw@idp.example.com/token",
            },
            "oauth_token_url",
            "No credentials in the URL",
        ),
        ({"oauth_client_secret_env": "Zm9vYmFyOi8v+c2VjcmV0"}, "oauth_client_secret_env", "not the secret"),
        ({"port": 70000}, "port", "65535"),
        ({"category": "no-such-category"}, "category", ""),
        ({"security": "ssl3"}, "security", ""),
    ],
)
def test_an_invalid_mailbox_is_a_400_naming_the_field(root_api, category, fields, field, words):
    answer = root_api.post(LIST, body(**fields), format="json")

    assert answer.status_code == 400
    assert field in answer.json(), answer.json()
    assert words in " ".join(answer.json()[field])
    assert not Mailbox.objects.exists()


def test_a_patch_is_checked_with_the_stored_fields(root_api, support_mailbox):
    """Switching to OAuth2 without the client's fields: the whole mailbox is checked, not the body alone."""
    answer = root_api.patch(detail(support_mailbox), {"auth": "oauth2"}, format="json")

    assert answer.status_code == 400
    assert set(answer.json()) == {"oauth_provider", "oauth_client_id"}
    support_mailbox.refresh_from_db()
    assert support_mailbox.auth == "password"


def test_a_name_taken_is_a_400_naming_it(root_api, support_mailbox):
    answer = root_api.post(LIST, body(name="Support"), format="json")

    assert answer.status_code == 400
    assert "name" in answer.json()


def test_a_secret_sent_under_a_name_of_its_own_is_refused_not_dropped(root_api, category):
    answer = root_api.post(LIST, body(password="hunter2", oauth_client_secret="abc"), format="json")

    assert answer.status_code == 400
    assert set(answer.json()) == {"password", "oauth_client_secret"}
    assert "environment" in answer.json()["password"][0]
    assert not Mailbox.objects.exists()


def test_it_takes_json_bodies_only(root_api, category):
    answer = root_api.post(LIST, body(), format="multipart")

    assert answer.status_code == 415


# --- What it shows ------------------------------------------------------------------------


def test_no_secret_is_ever_shown(root_api, category, monkeypatch):
    monkeypatch.setenv("IMAP_SUPPORT_PASSWORD", SECRET_PASSWORD)
    Mailbox.objects.create(
        name="Google", host="imap.gmail.com", username="support@example.com", auth="oauth2",
        oauth_provider="google", oauth_client_id="app.apps.googleusercontent.com",
        oauth_client_secret_env="GOOGLE_SECRET", oauth_refresh_token_env="GOOGLE_REFRESH", category=category,
        oauth_rotated_refresh_token="gAAAAA-ROTATED-TOKEN-CIPHERTEXT", oauth_rotated_from="d" * 64,
        oauth_rotated_at=timezone.now(),
    )  # fmt: skip

    listed = root_api.get(LIST).content.decode()
    one = root_api.get(detail(Mailbox.objects.get())).content.decode()

    for page in (listed, one):
        assert "GOOGLE_REFRESH" in page  # the variable's name
        assert "ROTATED-TOKEN" not in page
        assert "d" * 64 not in page
        assert SECRET_PASSWORD not in page
    assert "oauth_rotated_refresh_token" not in one and "oauth_rotated_from" not in one


def test_it_shows_how_the_last_poll_went(root_api, support_mailbox):
    now = timezone.now()
    Mailbox.objects.filter(pk=support_mailbox.pk).update(
        last_polled_at=now, last_success_at=now - timedelta(hours=1), last_error_at=now,
        last_error="LOGIN failed: [AUTHENTICATIONFAILED]", last_imported=0,
    )  # fmt: skip

    shown = root_api.get(detail(support_mailbox)).json()

    assert shown["state"] == "failing"
    assert shown["last_error"] == "LOGIN failed: [AUTHENTICATIONFAILED]"
    assert shown["last_success_at"] is not None


def test_the_list_filters_and_orders(root_api, category, support_mailbox):
    team = Team.objects.create(name="Sales team")
    now = timezone.now()
    Mailbox.objects.create(name="Archive", host="h", username="u", password_env="P", category=category,
                           enabled=False, team=team, last_error_at=now, last_polled_at=now)  # fmt: skip

    def names(**query) -> list[str]:
        answer = root_api.get(LIST, query)
        assert answer.status_code == 200, answer.json()
        return [row["name"] for row in answer.json()["results"]]

    assert names() == ["Archive", "Support"]
    assert names(enabled="true") == ["Support"]
    assert names(team=team.pk) == ["Archive"]
    assert names(no_team="true") == ["Support"]
    assert names(failing="true") == ["Archive"]
    assert names(failing="false") == ["Support"]
    assert names(ordering="-name") == ["Support", "Archive"]
    assert root_api.get(LIST, {"enabled": "maybe"}).status_code == 400


# --- Poll now / retry sign-in (the admin's actions) ----------------------------------------


def test_poll_takes_the_new_mail_now(root_api, dovecot, imap_user, make_mailbox):
    message = EmailMessage(policy=default)
    message["From"], message["To"], message["Subject"] = "carla@customer.example", imap_user, "Printer on fire"
    message["Message-ID"] = "<poll-now.api@customer.example>"
    message.set_content("It smokes.")
    dovecot.append(imap_user, bytes(message))
    mailbox = make_mailbox(imap_user)

    answer = root_api.post(f"{detail(mailbox)}/poll")

    assert answer.status_code == 200, answer.json()
    assert answer.json() | {"seconds": 0} == {
        "id": mailbox.pk, "mailbox": mailbox.name, "ok": True, "error": "", "fetched": 1, "imported": 1,
        "quarantined": 0, "refused": 0, "seconds": 0,
    }  # fmt: skip
    assert Ticket.objects.get().subject == "Printer on fire"


def test_a_failed_poll_answers_its_error(root_api, category, closed_port, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SECRET_PASSWORD)
    mailbox = Mailbox.objects.create(name="Down", host="127.0.0.1", port=closed_port, security="none",
                                     username="u", password_env=PASSWORD_ENV, category=category)  # fmt: skip

    answer = root_api.post(f"{detail(mailbox)}/poll")

    assert answer.status_code == 200
    assert answer.json()["ok"] is False
    assert answer.json()["error"] == f"connection refused by 127.0.0.1:{closed_port}"
    assert SECRET_PASSWORD not in answer.content.decode()
    assert root_api.get(detail(mailbox)).json()["state"] == "failing"


def test_retry_sign_in_clears_the_refusal_and_polls(root_api, make_oauth_mailbox, imap_user):
    mailbox = make_oauth_mailbox(imap_user)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        oauth_needs_reauthorization=True, oauth_error="invalid_grant", oauth_error_at=timezone.now()
    )
    refused = root_api.post(f"{detail(mailbox)}/poll").json()
    assert refused["ok"] is False and "needs re-authorization" in refused["error"]

    answer = root_api.post(f"{detail(mailbox)}/retry-sign-in")

    assert answer.status_code == 200
    assert answer.json()["ok"] is True, answer.json()
    mailbox.refresh_from_db()
    assert not mailbox.oauth_needs_reauthorization
