"""Issue 22, restricted teams: SLA alerts reach only people who may see the ticket, Slack only
through a webhook chosen for the team, and the SLA API hides the team's tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from agents.models import Team
from agents.tests.factories import AgentFactory
from conftest import api_client_for
from notifications.models import Notification
from sla.models import SLAViolation
from sla.scan import sla_record_if_late, sla_scan
from sla.tests.factories import SLAPolicyFactory, SLAViolationFactory
from sla.tests.test_scan import NOW, count_statements, overdue_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(category):
    member = AgentFactory(specializations=[category])
    outsider = AgentFactory(specializations=[category])
    supervisor = AgentFactory(role="supervisor", specializations=[category])
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(member)
    return {"member": member, "outsider": outsider, "supervisor": supervisor, "vault": vault}


def told(agent) -> set[str]:
    """The channels an agent was alerted on."""
    return set(Notification.objects.filter(user=agent.user).values_list("channel", flat=True))


def test_an_assignee_outside_the_restricted_team_is_not_alerted(people, category):
    policy = SLAPolicyFactory()
    overdue_tickets(1, category=category, policy=policy, agent=people["outsider"], team=people["vault"])

    result = sla_scan(now=NOW)

    assert result.violations == 2
    assert told(people["outsider"]) == set()
    assert told(people["supervisor"]) == {"email", "dashboard"}  # supervisors always may see


def test_a_member_assignee_is_alerted_as_before(people, category):
    overdue_tickets(1, category=category, policy=SLAPolicyFactory(), agent=people["member"], team=people["vault"])

    sla_scan(now=NOW)

    assert told(people["member"]) == {"email", "dashboard"}
    assert Notification.objects.filter(user=people["member"].user).count() == 4  # 2 targets x 2 channels


def test_an_open_team_ticket_alerts_its_assignee_whoever_they_are(people, category):
    open_team = Team.objects.create(name="Billing")
    overdue_tickets(1, category=category, policy=SLAPolicyFactory(), agent=people["outsider"], team=open_team)

    sla_scan(now=NOW)

    assert told(people["outsider"]) == {"email", "dashboard"}


def test_slack_for_a_restricted_ticket_only_through_a_policy_of_that_team(people, category, settings):
    settings.SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/T0/B0/default"
    everyone = SLAPolicyFactory(priority="low", slack_webhook_url="https://hooks.slack.com/services/T0/B0/all")
    teams_own = SLAPolicyFactory(
        priority="high", team=people["vault"], slack_webhook_url="https://hooks.slack.com/services/T0/B0/vault"
    )
    teams_without_hook = SLAPolicyFactory(priority="urgent", team=people["vault"])
    overdue_tickets(1, category=category, policy=everyone, team=people["vault"], priority="low")
    overdue_tickets(1, category=category, policy=teams_without_hook, team=people["vault"], priority="urgent")
    vault_ticket = overdue_tickets(1, category=category, policy=teams_own, team=people["vault"], priority="high")[0]
    plain = overdue_tickets(1, category=category, policy=everyone, priority="low")[0]

    sla_scan(now=NOW)

    slack = Notification.objects.filter(channel="slack")
    by_ticket = {(row.payload["ticket_id"], row.recipient) for row in slack}
    # The team's own policy and webhook: posted. Another policy's hook, or the default one: not.
    assert by_ticket == {
        (vault_ticket.pk, f"policy:{teams_own.pk}"),
        (plain.pk, f"policy:{everyone.pk}"),
    }
    assert slack.count() == 4  # two targets each


def test_the_scan_runs_the_same_statements_with_restricted_teams(people, category, settings):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    policy = SLAPolicyFactory()
    overdue_tickets(3, category=category, policy=policy, agent=people["member"])
    without, _ = count_statements(now=NOW)
    overdue_tickets(300, category=category, policy=policy, agent=people["outsider"], team=people["vault"])
    with_teams, result = count_statements(now=NOW + timedelta(seconds=1))

    assert without == with_teams
    assert result.violations == 600
    assert result.notifications == 600 * 2  # the supervisor's email and notice; no assignee, no Slack


def test_a_target_met_late_alerts_only_who_may_see(people, category):
    policy = SLAPolicyFactory()
    ticket = overdue_tickets(1, category=category, policy=policy, agent=people["outsider"], team=people["vault"])[0]

    with time_machine.travel(NOW, tick=False):
        assert sla_record_if_late(ticket=ticket, kind="first_response", done_at=NOW)

    assert SLAViolation.objects.filter(ticket=ticket).count() == 1
    assert told(people["outsider"]) == set()
    assert told(people["supervisor"]) == {"email", "dashboard"}


@pytest.fixture
def hidden_violation(people, category):
    ticket = overdue_tickets(1, category=category, policy=SLAPolicyFactory(), team=people["vault"])[0]
    return SLAViolationFactory(ticket=ticket)


def test_the_violations_list_leaves_out_hidden_tickets(people, hidden_violation, category):
    visible = SLAViolationFactory(ticket=overdue_tickets(1, category=category, policy=SLAPolicyFactory())[0])

    def listed(agent) -> set[int]:
        response = api_client_for(agent.user).get("/api/support/sla/violations")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert listed(people["outsider"]) == {visible.pk}
    assert listed(people["member"]) == {visible.pk, hidden_violation.pk}
    assert listed(people["supervisor"]) == {visible.pk, hidden_violation.pk}
    detail = f"/api/support/sla/violations/{hidden_violation.pk}"
    assert api_client_for(people["outsider"].user).get(detail).status_code == 404
    assert api_client_for(people["member"].user).get(detail).status_code == 200


def test_the_sla_check_answers_404_outside_the_team(people, hidden_violation):
    body = {"ticket_id": hidden_violation.ticket_id}
    assert api_client_for(people["outsider"].user).post("/api/support/sla", body, format="json").status_code == 404
    assert api_client_for(people["member"].user).post("/api/support/sla", body, format="json").status_code == 200
