"""/api/support/tags: who may do what, renaming and merging (tickets.tags)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from automation.models import TriggerAction
from automation.tests.factories import make_macro, make_rule, make_trigger
from conftest import api_client_for
from knowledge.models import Article
from knowledge.tests.factories import ArticleFactory
from tickets.models import SavedView, Tag, Ticket, TicketEvent
from tickets.tests.factories import TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/support/tags"


def tags_of(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


class TestWhoMay:
    def test_agents_and_integrations_read(self, agent_api, integration_api):
        TagFactory(name="vpn")
        for client in (agent_api, integration_api):
            response = client.get(URL)
            assert response.status_code == 200
            assert [tag["name"] for tag in response.json()["results"]] == ["vpn"]

    def test_agents_and_integrations_cannot_write(self, agent_api, integration_api):
        tag = TagFactory(name="vpn")
        for client in (agent_api, integration_api):
            refused = client.post(URL, {"name": "x"}, format="json")
            assert refused.status_code == 403
            assert refused.json() == {"detail": "Only supervisors and admins can change this."}
            assert client.patch(f"{URL}/{tag.pk}", {"name": "y"}, format="json").status_code == 403
            assert client.delete(f"{URL}/{tag.pk}").status_code == 403
        assert Tag.objects.get().name == "vpn"

    def test_a_supervisor_creates_one_in_lower_case(self, supervisor_api):
        response = supervisor_api.post(URL, {"name": " Refund "}, format="json")

        assert response.status_code == 201, response.json()
        assert response.json()["name"] == "refund"
        assert Tag.objects.filter(name="refund").exists()


class TestFilters:
    def test_q_finds_text_in_the_name_and_ordering_reverses(self, agent_api):
        for name in ("billing", "billing-eu", "vpn"):
            TagFactory(name=name)

        found = agent_api.get(URL, {"q": "BILL", "ordering": "-name"}).json()["results"]

        assert [tag["name"] for tag in found] == ["billing-eu", "billing"]


class TestValidation:
    @pytest.mark.parametrize("name", ["two words", "", "a,b", "x" * 51])
    def test_a_name_that_is_not_one_word_is_refused_naming_the_field(self, supervisor_api, name):
        response = supervisor_api.post(URL, {"name": name}, format="json")

        assert response.status_code == 400
        assert "name" in response.json()

    def test_a_taken_name_is_refused_with_the_merge_hint(self, supervisor_api):
        TagFactory(name="vpn")
        tag = TagFactory(name="network")

        response = supervisor_api.patch(f"{URL}/{tag.pk}", {"name": "VPN"}, format="json")

        assert response.status_code == 400
        assert "merge" in response.json()["name"][0]


class TestRename:
    def test_the_tag_keeps_its_tickets_and_every_reference_follows(self, supervisor_api, agent):
        tag = TagFactory(name="billing")
        ticket = TicketFactory()
        ticket.tags.add(tag)
        trigger = make_trigger(
            ["ticket.created"], [("tags", "includes", "billing, vip")], [("add_tags", "billing-eu,billing")]
        )
        rule = make_rule("updated", 24, [("tags", "excludes", "billing")], [("remove_tags", "billing")])
        macro = make_macro(actions=[("add_tags", "billing")])
        view = SavedView.objects.create(name="Billing", owner=agent.user, tag="billing")
        article = ArticleFactory()
        article.tags = ["billing", "faq"]
        article.save()

        response = supervisor_api.patch(f"{URL}/{tag.pk}", {"name": "invoices"}, format="json")

        assert response.status_code == 200, response.json()
        assert response.json() == {"id": tag.pk, "name": "invoices"}
        assert tags_of(ticket) == ["invoices"]
        assert trigger.conditions.get().value == "invoices, vip"
        assert trigger.actions.get().value == "billing-eu, invoices"  # billing-eu is another tag
        assert rule.conditions.get().value == "invoices"
        assert rule.actions.get().value == "invoices"
        assert macro.actions.get().value == "invoices"
        view.refresh_from_db()
        assert view.tag == "invoices"
        assert Article.objects.get(pk=article.pk).tags == ["faq", "invoices"]
        assert not TicketEvent.objects.filter(ticket=ticket).exists()  # history says what it was called then


class TestMerge:
    def test_tickets_move_once_history_records_it_and_the_source_goes(self, supervisor_api, supervisor):
        billing, invoices, vip = TagFactory(name="billing"), TagFactory(name="invoices"), TagFactory(name="vip")
        only_source = TicketFactory()
        only_source.tags.add(billing, vip)
        both = TicketFactory()
        both.tags.add(billing, invoices)
        only_target = TicketFactory()
        only_target.tags.add(invoices)
        untouched = TicketFactory()
        untouched.tags.add(vip)
        before = {t.pk: t.updated_at for t in Ticket.objects.all()}

        response = supervisor_api.post(f"{URL}/{billing.pk}/merge", {"into": invoices.pk}, format="json")

        assert response.status_code == 200, response.json()
        assert response.json() == {"tag": {"id": invoices.pk, "name": "invoices"}, "tickets": 2, "references": 0}
        assert not Tag.objects.filter(pk=billing.pk).exists()
        assert tags_of(only_source) == ["invoices", "vip"]
        assert tags_of(both) == ["invoices"]
        assert tags_of(only_target) == ["invoices"]
        assert tags_of(untouched) == ["vip"]
        lines = {
            event.ticket_id: (event.kind, event.old_value, event.new_value, event.actor_name, event.actor_user_id)
            for event in TicketEvent.objects.all()
        }
        assert lines == {
            only_source.pk: ("tags", "billing, vip", "invoices, vip", supervisor.name, supervisor.user.pk),
            both.pk: ("tags", "billing, invoices", "invoices", supervisor.name, supervisor.user.pk),
        }
        after = {t.pk: t.updated_at for t in Ticket.objects.all()}
        assert after[only_source.pk] > before[only_source.pk] and after[both.pk] > before[both.pk]
        assert after[only_target.pk] == before[only_target.pk] and after[untouched.pk] == before[untouched.pk]

    def test_references_to_the_source_name_the_target_once(self, supervisor_api, agent):
        billing, invoices = TagFactory(name="billing"), TagFactory(name="invoices")
        trigger = make_trigger(["ticket.created"], [], [("add_tags", "billing, invoices, urgent")])
        view = SavedView.objects.create(name="Billing", owner=agent.user, tag="billing")
        article = ArticleFactory()
        article.tags = ["billing", "invoices"]
        article.save()

        response = supervisor_api.post(f"{URL}/{billing.pk}/merge", {"into": invoices.pk}, format="json")

        assert response.json()["references"] == 3
        assert TriggerAction.objects.get(trigger=trigger).value == "invoices, urgent"
        view.refresh_from_db()
        assert view.tag == "invoices"
        assert Article.objects.get(pk=article.pk).tags == ["invoices"]

    def test_merging_into_itself_or_nothing_is_a_400_naming_into(self, supervisor_api):
        tag = TagFactory(name="billing")

        for into in (tag.pk, tag.pk + 1000, "x"):
            response = supervisor_api.post(f"{URL}/{tag.pk}/merge", {"into": into}, format="json")
            assert response.status_code == 400
            assert "into" in response.json()
        assert Tag.objects.filter(pk=tag.pk).exists()

    def test_agents_may_not_merge(self, agent_api):
        billing, invoices = TagFactory(name="billing"), TagFactory(name="invoices")

        response = agent_api.post(f"{URL}/{billing.pk}/merge", {"into": invoices.pk}, format="json")

        assert response.status_code == 403
        assert Tag.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_merge_waiting_on_a_locked_ticket_gives_up_with_a_409(supervisor, settings, monkeypatch):
    """An agent's open transaction holds a ticket of the tag: the merge does not queue behind it
    (and everyone else behind the merge) but answers 409, changing nothing."""
    from tickets import tags

    monkeypatch.setattr(tags, "MERGE_LOCK_TIMEOUT", "200ms")
    billing, invoices = TagFactory(name="billing"), TagFactory(name="invoices")
    ticket = TicketFactory()
    ticket.tags.add(billing)
    locked, release = threading.Event(), threading.Event()

    def hold_the_ticket() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_ticket)
    holder.start()
    try:
        assert locked.wait(10)
        response = api_client_for(supervisor.user).post(
            f"{URL}/{billing.pk}/merge", {"into": invoices.pk}, format="json"
        )
    finally:
        release.set()
        holder.join()

    assert response.status_code == 409
    assert "Try again" in response.json()["detail"]
    assert tags_of(ticket) == ["billing"]
    assert Tag.objects.filter(pk=billing.pk).exists()


def test_deleting_a_tag_takes_it_off_its_tickets(supervisor_api):
    tag = TagFactory(name="billing")
    ticket = TicketFactory()
    ticket.tags.add(tag, TagFactory(name="vip"))

    assert supervisor_api.delete(f"{URL}/{tag.pk}").status_code == 204

    assert tags_of(ticket) == ["vip"]


@pytest.mark.django_db(transaction=True)
def test_a_name_taken_at_the_same_moment_answers_409_not_500(supervisor, monkeypatch):
    """Validation found "vpn" free; another request creates it before this one writes."""
    from tickets import catalog_api, tags

    def racing(*, name: str) -> Tag:
        Tag.objects.create(name=name)  # the other request, between validation and write
        return tags.tag_create(name=name)

    monkeypatch.setattr(catalog_api, "tag_create", racing)

    response = api_client_for(supervisor.user).post(URL, {"name": "vpn"}, format="json")

    assert response.status_code == 409
    assert "at the same moment" in response.json()["detail"]
    assert Tag.objects.filter(name="vpn").count() == 1


def test_a_merge_into_a_tag_deleted_meanwhile_is_refused_and_changes_nothing(supervisor):
    from agents.roles import actor_for
    from tickets import tags

    billing, invoices = TagFactory(name="billing"), TagFactory(name="invoices")
    ticket = TicketFactory()
    ticket.tags.add(billing)
    Tag.objects.filter(pk=invoices.pk).delete()  # by another request, after the caller read it

    with pytest.raises(tags.TagRefused, match="deleted meanwhile"):
        tags.tag_merge(source=billing, target=invoices, actor=actor_for(supervisor.user))

    assert tags_of(ticket) == ["billing"]


def test_the_admin_names_and_renames_tags_by_the_apis_rules(admin_client, agent):
    """One word, lower case; a rename in Django admin takes the references along, as the API's."""
    tag = TagFactory(name="billing")
    view = SavedView.objects.create(name="Billing", owner=agent.user, tag="billing")

    refused = admin_client.post("/admin/tickets/tag/add/", {"name": "two words"})
    renamed = admin_client.post(f"/admin/tickets/tag/{tag.pk}/change/", {"name": "Invoices"})

    assert refused.status_code == 200 and "name" in refused.context["adminform"].form.errors
    assert not Tag.objects.filter(name__in=["two words", "two-words"]).exists()
    assert renamed.status_code == 302
    tag.refresh_from_db()
    view.refresh_from_db()
    assert (tag.name, view.tag) == ("invoices", "invoices")
