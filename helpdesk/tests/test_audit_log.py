"""The audit log of configuration changes (issue 20, point 7): who, when, through what
(admin, API, page, command), before and after; readable by admins, editable by nobody; an
API token's secret never in it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from agents.models import Agent
from agents.tokens import AuthToken as Token
from conftest import BASE_DIR, production_env
from sla.models import SLAPolicy
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Category

pytestmark = pytest.mark.django_db


def entries_for(model) -> list[LogEntry]:
    return list(LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by("id"))


def test_a_policy_changed_through_the_api_names_who_how_and_what(supervisor, supervisor_api):
    policy = SLAPolicyFactory(resolution_hours=24)

    answer = supervisor_api.patch(
        f"/api/support/sla/policies/{policy.pk}",
        {"resolution_hours": 48},
        format="json",
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="10.0.0.1",  # forged: no proxy is trusted here
    )

    assert answer.status_code == 200
    entry = entries_for(SLAPolicy)[-1]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == supervisor.user  # authenticated by token, inside DRF's view
    assert entry.additional_data == {"via": "api"}
    assert entry.changes_dict["resolution_hours"] == [24, 48]
    assert entry.remote_addr == "198.51.100.20"


def test_a_category_changed_in_the_admin_is_recorded_as_admin(admin_user):
    category = Category.objects.create(name="Billing", slug="billing")
    client = Client()
    client.force_login(admin_user)

    answer = client.post(
        f"/admin/tickets/category/{category.pk}/change/",
        {"name": "Billing and invoices", "slug": "billing", "description": ""},
    )

    assert answer.status_code == 302
    entry = entries_for(Category)[-1]
    assert (entry.actor, entry.additional_data) == (admin_user, {"via": "admin"})
    assert entry.changes_dict["name"] == ["Billing", "Billing and invoices"]


def test_an_agents_role_and_capacity_are_recorded_and_their_status_is_not(supervisor_api, agent):
    supervisor_api.patch(f"/api/support/agents/{agent.pk}", {"max_tickets": 3, "role": "supervisor"}, format="json")
    Agent.objects.get(pk=agent.pk).save()  # nothing changed: no entry
    agent.refresh_from_db()
    agent.status = "away"
    agent.save(update_fields=["status"])

    # The factory's own specializations were recorded too, outside any request; the API's change:
    [entry] = [e for e in entries_for(Agent) if e.additional_data == {"via": "api"}]
    assert not [e for e in entries_for(Agent) if "status" in e.changes_dict]
    assert set(entry.changes_dict) == {"max_tickets", "role"}
    assert entry.changes_dict["role"] == ["agent", "supervisor"]


def test_a_users_password_change_is_recorded_masked(agent):
    user = agent.user
    user.set_password("a-new-password-123")
    user.save()

    entry = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(type(user))).latest("id")
    _old, new = entry.changes_dict["password"]
    assert "a-new-password" not in new and "*" in new


@pytest.mark.django_db(transaction=True)
def test_a_token_made_by_a_command_is_recorded_without_its_secret(tmp_path):
    made = subprocess.run(
        [sys.executable, "manage.py", "create_integration", "crm-sync"],
        cwd=BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.split("Authorization: Token ")[1].split()[0]
    token = Token.objects.get(user__username="crm-sync")

    [entry] = entries_for(Token)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.object_repr == "API token of crm-sync"
    assert entry.additional_data == {"via": "command create_integration"}
    every_value = [
        str(value)
        for row in LogEntry.objects.values_list("object_pk", "object_repr", "changes", "changes_text")
        for value in row
    ]
    assert not any(secret in value for value in every_value for secret in (key, token.digest, token.token_key))


def test_admins_read_the_log_and_nobody_edits_it(admin_user, supervisor):
    policy = SLAPolicyFactory()
    policy.resolution_hours = 99
    policy.save()
    entry = entries_for(SLAPolicy)[-1]
    admin = Client()
    admin.force_login(admin_user)
    sup = Client()
    sup.force_login(supervisor.user)

    assert admin.get("/admin/auditlog/logentry/").status_code == 200
    assert admin.get(f"/admin/auditlog/logentry/{entry.pk}/change/").status_code == 200
    assert admin.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/auditlog/logentry/add/").status_code == 403
    assert sup.get("/admin/auditlog/logentry/").status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_agents_with_the_admin_role_read_the_log_and_supervisors_do_not(supervisor):
    from agents.services import sync_staff_flag
    from agents.tests.factories import AgentFactory

    policy = SLAPolicyFactory()
    policy.resolution_hours = 42
    policy.save()
    admin_agent = AgentFactory(role="admin", user__username="ada")
    sync_staff_flag(admin_agent)
    sync_staff_flag(supervisor)
    reader = Client()
    reader.force_login(admin_agent.user)
    sup = Client()
    sup.force_login(supervisor.user)

    assert reader.get("/admin/auditlog/logentry/").status_code == 200
    assert reader.get("/admin/knox/authtoken/").status_code == 200
    assert reader.get("/admin/axes/accessattempt/").status_code == 200
    assert sup.get("/admin/auditlog/logentry/").status_code == 403
    admin_agent.role = "agent"
    admin_agent.save()
    sync_staff_flag(admin_agent)
    assert reader.get("/admin/auditlog/logentry/").status_code == 302  # no longer staff
