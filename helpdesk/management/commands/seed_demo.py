"""Load demo data: an administrator, categories, agents, teams, organisations and tickets in every status.
Idempotent."""

from __future__ import annotations

import contextlib
from datetime import time, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from agents.models import Agent, Team
from agents.roles import SYSTEM, Actor, customer_actor
from agents.services import sync_staff_flag, team_update
from automation.models import ActionKind, Clock, Macro, TimeRule, Trigger
from customers.models import Organization
from customers.services import organization_save
from feedback.models import Feedback, SurveyInvitation
from feedback.services import survey_answer
from helpdesk.management.commands.demo_articles import DEMO_ARTICLES, DEMO_FAQS, DEMO_STATUS
from helpdesk.management.commands.demo_tickets import DEMO_TICKETS
from knowledge import services as kb
from knowledge.models import FAQ, Article
from mail.ingest import ingest
from mail.models import BouncedAddress, Mailbox
from sla import services as sla_clock
from sla.holidays import HolidayImportError, holidays_import
from sla.models import BusinessCalendar, BusinessHours, SLAPolicy
from tickets import services
from tickets.assignment import ticket_assign
from tickets.languages import of_text
from tickets.models import AuthorType, Category, Message, SavedView, Status, Ticket

# Time rules (issue 23): name, clock, hours, conditions (field, operator, value), actions
# (kind, value, subject, body).
DEMO_TIME_RULES = [
    (
        "Remind the customer after 3 days pending",
        Clock.STATUS_CHANGED,
        72,
        [("status", "is", Status.PENDING)],
        [
            (
                ActionKind.EMAIL_CUSTOMER,
                "",
                "Reminder: we are waiting for your reply ({ticket_number})",
                "Hello {customer_name},\n\nwe asked you a question about your request {ticket_number} three days "
                "ago and are still waiting for your answer. Reply to this email or open your request here:\n"
                "{ticket_link}\n\nIf the problem is solved, you need not do anything: we will close the request.",
            )
        ],
    ),
    (
        "Close 4 days after resolution",
        Clock.STATUS_CHANGED,
        96,
        [("status", "is", Status.RESOLVED)],
        [(ActionKind.SET_STATUS, Status.CLOSED, "", "")],
    ),
]


def seed_time_rules() -> list[TimeRule]:
    """The demo's time rules (DEMO_TIME_RULES), each created once with its parts: a rule
    already there (by name) is left as it is, edits included."""
    rules = []
    for name, clock, hours, conditions, actions in DEMO_TIME_RULES:
        rule, created = TimeRule.objects.get_or_create(name=name, defaults={"clock": clock, "hours": hours})
        if created:
            for position, (field, operator, value) in enumerate(conditions):
                rule.conditions.create(field=field, operator=operator, value=value, position=position)
            for position, (kind, value, subject, body) in enumerate(actions):
                rule.actions.create(kind=kind, value=value, subject=subject, body=body, position=position)
        rules.append(rule)
    return rules


# The path a demo ticket takes to reach its final status through the state machine.
PATHS = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.PENDING: [Status.OPEN, Status.PENDING],
    Status.ON_HOLD: [Status.OPEN, Status.ON_HOLD],
    Status.RESOLVED: [Status.OPEN, Status.RESOLVED],
    Status.CLOSED: [Status.OPEN, Status.RESOLVED, Status.CLOSED],
}
DEMO_DOMAIN = "customers.example.com"
DEMO_EMAIL_SUBJECT = "CSV export fails with an encoding error"
DEMO_EMAIL_CUSTOMER = f"marta.lopez@{DEMO_DOMAIN}"
DEMO_EMAIL_TEXT = (
    "Hello,\n\nsince this morning the monthly CSV export stops with "
    "'UnicodeEncodeError: charmap codec can't encode character'. Names with accents seem to cause it.\n\n"
    "Marta Lopez\nFinance, Customers Ltd"
)

CATEGORIES = [
    ("general", "General", "Questions that fit nowhere else"),
    ("technical", "Technical", "Something does not work as expected"),
    ("billing", "Billing", "Invoices, payments and refunds"),
    ("account", "Account", "Sign-in, profile and access"),
    ("other", "Other", "Anything else"),
]

AGENTS = [
    # username, name, role, timezone, max tickets, specializations
    ("alice", "Alice Moreau", "supervisor", "Europe/Paris", 15, ["general", "billing", "account"]),
    ("bob", "Bob Okafor", "agent", "Africa/Lagos", 10, ["technical", "other"]),
    ("chen", "Chen Wei", "agent", "Asia/Shanghai", 8, ["technical", "account"]),
    ("dana", "Dana Kowalski", "agent", "America/New_York", 12, ["billing", "general"]),
    ("emil", "Emil Svensson", "agent", "Europe/Stockholm", 10, ["general", "technical", "other"]),
    ("olga", "Ольга Смирнова", "agent", "Europe/Moscow", 10, ["account", "billing", "technical"]),
]
TEAMS = [
    # name, description, lead, members, categories routed to it, restricted, office hours
    ("Billing", "Invoices, payments and refunds", "dana", ["dana", "alice", "olga"], ["billing"], False, True),
    ("Technical", "Bugs, errors and integrations", "bob", ["bob", "chen", "emil", "olga"], ["technical"], False, False),
    ("Security", "Sign-in, access and account takeovers", "chen", ["chen", "alice", "olga"], ["account"], True, False),
]
TRIGGERS = [
    # name, events, conditions (group, field, operator, value), actions (kind, value, subject, body)
    (
        "Outages are urgent",
        ["ticket.created"],
        [
            ("any", "subject", "contains", "outage"),
            ("any", "subject", "contains", "is down"),
            ("any", "body", "contains", "outage"),
        ],
        [("set_priority", "urgent", "", ""), ("add_tags", "outage", "", "")],
    ),
    (
        "Security tickets alert their team",
        ["ticket.created"],
        [("all", "team", "is", "Security")],
        [("notify", "team", "", "New security ticket {ticket_number}: {subject}")],
    ),
    (
        "Tell the customer we are waiting on them",
        ["ticket.updated"],
        [("all", "status", "changed_to", "pending")],
        [
            (
                "email_customer",
                "",
                "We need a little more from you ({ticket_number})",
                "Hello {customer_name},\n\nTo go on with “{subject}” we need an answer from you. Reply to this "
                "email, or write on your request's page: {ticket_link}\n\n{agent_name}, {helpdesk_name}",
            )
        ],
    ),
]
ORGANIZATIONS = [
    # name, email domains, VIP, notes: the demo's customers write from DEMO_DOMAIN, so they
    # are all of Customers Ltd (a VIP: the badge shows in the queue and on their tickets).
    ("Customers Ltd", [DEMO_DOMAIN], True, "Key account: answer within the business day."),
    ("Initech", ["initech.example"], False, ""),
]
# Agents whose workspace, emails and notifications are in another language than the site's.
AGENT_LANGUAGES = {"olga": "ru"}
# Names of the demo's Russian-speaking customers (their tickets are in Russian).
RUSSIAN_NAMES = ["Иван Петров", "Анна Кузнецова", "Дмитрий Соколов", "Мария Волкова"]


def demo_email(
    subject: str, text: str, *, uid: str, sender: str = "", cc: str = "", html: str = "", in_reply_to: str = ""
) -> bytes:
    """A customer's email as a mail client sends it."""
    message = EmailMessage(policy=email_policy.default)
    message["From"] = sender or f"Marta Lopez <{DEMO_EMAIL_CUSTOMER}>"
    message["To"] = settings.SUPPORT_EMAIL
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = f"<{uid}@mail.{DEMO_DOMAIN}>"
    message["Date"] = format_datetime(timezone.now() - timedelta(hours=2))
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = f"<{in_reply_to}@mail.{DEMO_DOMAIN}>"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return bytes(message)


class Command(BaseCommand):
    help = "Create demo data (admin user, categories, agents, tickets). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin-password", default="admin", help="password of the 'admin' user")
        parser.add_argument("--agent-password", default="agent", help="password of every demo agent")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even though DEBUG is false (demo passwords are weak)",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("DEBUG is false: refusing to create demo users with known passwords.")
        User = get_user_model()

        admin, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(options["admin_password"])
            admin.save()

        categories = {}
        for slug, name, description in CATEGORIES:
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )

        for username, name, role, zone, max_tickets, specializations in AGENTS:
            email = f"{username}@helpdesk.example.com"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": email,
                    "first_name": name.split()[0],
                    "last_name": name.split()[-1],
                },
            )
            if created:
                user.set_password(options["agent_password"])
                user.save()
            agent, _ = Agent.objects.get_or_create(
                user=user,
                defaults={
                    "name": name,
                    "email": email,
                    "role": role,
                    "timezone": zone,
                    "max_tickets": max_tickets,
                    "language": AGENT_LANGUAGES.get(username, ""),
                },
            )
            agent.specializations.add(*(categories[slug] for slug in specializations))
            sync_staff_flag(agent)

        self.seed_sla()
        self.seed_teams()
        self.seed_organizations()
        created = self.seed_tickets()
        self.seed_knowledge(author=admin)
        self.seed_feedback()
        self.seed_macros(categories)
        self.seed_mail(categories)
        self.seed_triggers()
        seed_time_rules()
        self.seed_saved_views()

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Category.objects.count()} categories, {Agent.objects.count()} agents, "
                f"{Team.objects.count()} teams, {Organization.objects.count()} organisations, "
                f"{Ticket.objects.count()} tickets ({created} new), {SLAPolicy.objects.count()} SLA policies, "
                f"{Article.objects.count()} articles, {FAQ.objects.count()} FAQs, "
                f"{Feedback.objects.count()} survey answers, {TimeRule.objects.count()} time rules.\n"
                f"Admin login: {settings.SITE_URL}/admin/  user: admin  "
                f"password: {options['admin_password']}\n"
                f"Agent logins: {', '.join(a[0] for a in AGENTS)}  password: {options['agent_password']}"
                f"  (olga's workspace is in Russian)"
            )
        )

    def seed_mail(self, categories: dict) -> None:
        """The email channel's demo: a mailbox to fill in (disabled: it names no real server,
        so the worker leaves it alone until an admin sets its host and password variable and
        enables it), a ticket opened by email with the customer's reply and a colleague's
        note, one email in quarantine, an address that bounces. The emails go through the
        ingest service as the worker's would, once. Mail dropped into MAIL_MAILDIR (make run:
        var/maildir/new/) is the way to try the channel without a server."""
        mailbox, _ = Mailbox.objects.get_or_create(
            name="Support inbox",
            defaults={
                "enabled": False,
                "host": "imap.example.com",
                "username": "support@example.com",
                "password_env": "HELPDESK_DEMO_IMAP_PASSWORD",  # nosec B105  # a variable's name
                "category": categories["general"],
                # Mail to this inbox goes to the Technical team, whatever its category routes to.
                "team": Team.objects.filter(name="Technical").first(),
            },
        )
        if Ticket.objects.filter(customer_email=DEMO_EMAIL_CUSTOMER, subject=DEMO_EMAIL_SUBJECT).exists():
            return  # the emails' dates are relative to now: the same email on a later run would differ
        opened = ingest(demo_email(DEMO_EMAIL_SUBJECT, DEMO_EMAIL_TEXT, uid="demo-1"), route="imap", mailbox=mailbox)
        if opened.ticket_id is None:
            raise CommandError(f"the demo email did not open a ticket: {opened.get_outcome_display()} {opened.reason}")
        ingest(
            demo_email(
                f"Re: [#{opened.ticket_id}] {DEMO_EMAIL_SUBJECT}",
                "The error appears only on the Windows laptops; the Macs export fine.",
                uid="demo-2",
                cc="Piotr Nowak <piotr.nowak@customers.example.com>",
                html="<p>The error appears only on the <b>Windows</b> laptops; the Macs export fine.</p>",
            ),
            route="imap",
            mailbox=mailbox,
        )
        ingest(
            demo_email(
                f"Re: {DEMO_EMAIL_SUBJECT}",
                "For what it is worth: our Windows laptops got the October update last week.",
                uid="demo-3",
                # Not Piotr: copied on the customer's reply, he is a CC, and his mail a reply.
                sender="Marta Wójcik <marta.wojcik@customers.example.com>",
                in_reply_to="demo-2",
            ),
            route="imap",
            mailbox=mailbox,
        )
        ingest(b"Subject: hello\r\n\r\nAn email without a sender.\r\n", route="imap", mailbox=mailbox)
        BouncedAddress.objects.get_or_create(
            email=DEMO_EMAIL_CUSTOMER,
            defaults={"reason": "552 5.2.2 The recipient's mailbox is full", "bounces": 2},
        )

    def seed_triggers(self) -> None:
        """Three triggers an admin would write first (after the tickets: the demo's tickets are
        as written; new ones meet the triggers). An existing one is left as an admin left it."""
        for name, events, conditions, actions in TRIGGERS:
            if Trigger.objects.filter(name=name).exists():
                continue
            trigger = Trigger.objects.create(name=name, events=events, position=Trigger.objects.count())
            for position, (group, field, operator, value) in enumerate(conditions):
                trigger.conditions.create(group=group, field=field, operator=operator, value=value, position=position)
            for position, (kind, value, subject, body) in enumerate(actions):
                trigger.actions.create(kind=kind, value=value, subject=subject, body=body, position=position)

    def seed_saved_views(self) -> None:
        """Two shared views of the queue every agent sees with their counts, and one of dana's
        own. One left, renamed or deleted by an agent stays as they left it."""
        for name, owner, fields in [
            ("Urgent and open", None, {"queue": "open", "priority": "urgent", "sort": "due"}),
            ("Waiting for someone", None, {"queue": "unassigned", "sort": "oldest"}),
            ("My billing tickets", "dana", {"queue": "mine", "category": "billing"}),
        ]:
            user = get_user_model().objects.filter(username=owner).first() if owner else None
            if owner and user is None:
                continue
            if SavedView.objects.filter(name=name, owner=user).exists():
                continue
            SavedView.objects.create(name=name, owner=user, shared=user is None, **fields)

    def seed_macros(self, categories: dict) -> None:
        """Shared macros: the texts that were saved replies (a reply only), and two with actions."""
        for name, category, reply in [
            ("Greeting", None, "Hello {customer_name},\n\nthank you for writing to us about {ticket_number}."),
            ("Closing", None, "If anything is still unclear, just reply here.\n\nBest regards,\n{agent_name}"),
            (
                "Refund on its way",
                "billing",
                "Hello {customer_name},\n\nwe refunded the charge; it reaches your card within 5-10 business days.",
            ),
            (
                "Reset password",
                "account",
                "Hello {customer_name},\n\nplease use Forgot password? on the sign-in page; "
                "the link works for one hour.",
            ),
            (
                "Need more details",
                None,
                "Could you tell us the exact error message and when it started? A screenshot helps too.",
            ),
        ]:
            Macro.objects.get_or_create(
                name=name, owner=None, defaults={"reply": reply, "category": categories.get(category)}
            )
        for name, category, reply, actions in [
            (
                "Refund approved",
                "billing",
                "Hello {customer_name},\n\nyour refund is approved; it reaches your card within 5-10 business "
                "days. Could you confirm once it arrives?\n\n{agent_name}",
                [("set_status", "pending", ""), ("add_tags", "refund", "")],
            ),
            (
                "Escalate to billing",
                None,
                "",
                [
                    ("set_team", "Billing", ""),
                    ("set_priority", "high", ""),
                    (
                        "add_note",
                        "",
                        "Escalated to Billing by {agent_name}: please check the charge on {ticket_number}.",
                    ),
                ],
            ),
        ]:
            macro, created = Macro.objects.get_or_create(
                name=name, owner=None, defaults={"reply": reply, "category": categories.get(category)}
            )
            if created:  # a later run leaves an admin's changes alone
                for position, (kind, value, body) in enumerate(actions):
                    macro.actions.create(kind=kind, value=value, body=body, position=position)

    def seed_feedback(self) -> None:
        """Answer most survey invitations of the demo's resolved tickets, and rate some replies."""

        answers = [
            {
                "overall": 5,
                "speed": 5,
                "quality": 5,
                "friendliness": 5,
                "would_recommend": True,
                "comment": "Fast and kind.",
            },
            {"overall": 4, "speed": 3, "quality": 4, "friendliness": 5, "would_recommend": True, "comment": ""},
            {
                "overall": 2,
                "speed": 1,
                "quality": 3,
                "friendliness": 4,
                "would_recommend": False,
                "comment": "Took days.",
            },
            {
                "overall": 5,
                "speed": 4,
                "quality": 5,
                "friendliness": 5,
                "would_recommend": True,
                "comment": "Solved it.",
            },
            {"overall": 3, "speed": 3, "quality": 3, "friendliness": 4, "would_recommend": None, "comment": ""},
        ]
        if Feedback.objects.exists():  # answered on an earlier run
            return
        open_invitations = SurveyInvitation.objects.filter(answered_at__isnull=True).order_by("id")
        for index, invitation in enumerate(open_invitations):
            if index % 6 != 5 and invitation.state == "sent":  # leave a few unanswered
                survey_answer(invitation=invitation, **answers[index % len(answers)])
        replies = Message.objects.filter(author_type=AuthorType.AGENT, internal=False, rating__isnull=True).order_by(
            "id"
        )
        for index, reply in enumerate(replies):
            if index % 2 == 0:
                Message.objects.filter(pk=reply.pk).update(rating=5 - index % 3, rated_at=timezone.now())

    def seed_knowledge(self, *, author) -> None:
        """Articles in English and Russian (one draft, one archived) and FAQs, each once."""

        for index, (title, category, language, tags, content) in enumerate(DEMO_ARTICLES):
            if Article.objects.filter(title=title).exists():
                continue
            article = kb.article_create(
                title=title,
                content=content,
                category=Category.objects.get(slug=category),
                language=language,
                tags=tags,
                status=DEMO_STATUS.get(title, "published"),
                author=author,
            )
            # Some reading history, so "popular articles" has something to show.
            Article.objects.filter(pk=article.pk).update(view_count=(index * 37) % 250, helpful_yes=index % 7)
        for question, answer, category, priority in DEMO_FAQS:
            if not FAQ.objects.filter(question=question).exists():
                kb.faq_save(
                    faq=FAQ(
                        question=question,
                        answer=answer,
                        category=Category.objects.get(slug=category),
                        priority=priority,
                        published=True,
                    )
                )

    def seed_sla(self) -> None:
        """A Berlin office calendar (weekdays 09:00-18:00, German holidays) and one policy per
        priority; urgent tickets are watched around the clock."""

        office, created = BusinessCalendar.objects.get_or_create(
            name="Support office", defaults={"timezone": "Europe/Berlin", "holiday_country": "DE"}
        )
        if created:
            for weekday in range(5):
                BusinessHours.objects.create(calendar=office, weekday=weekday, start=time(9), end=time(18))
            for year in (timezone.now().year, timezone.now().year + 1):
                with contextlib.suppress(HolidayImportError):  # the calendar works without them
                    holidays_import(calendar=office, country="DE", year=year)
        for name, priority, first_response, resolution, calendar in [
            ("Urgent, around the clock", "urgent", 1, 8, None),
            ("High", "high", 4, 24, office),
            ("Normal", "normal", 8, 40, office),
            ("Low", "low", 16, 80, office),
        ]:
            SLAPolicy.objects.get_or_create(
                name=name,
                defaults={
                    "priority": priority,
                    "first_response_hours": first_response,
                    "resolution_hours": resolution,
                    "calendar": calendar,
                },
            )

    def seed_organizations(self) -> None:
        """Organisations claim their domains' customers, those made later too (on first contact)."""
        for name, domains, vip, notes in ORGANIZATIONS:
            if not Organization.objects.filter(name=name).exists():
                organization_save(actor=SYSTEM, name=name, domains=domains, vip=vip, notes=notes)

    def seed_teams(self) -> None:
        """Three teams with a lead each, the demo agents as members and a category routed to
        each; Security is restricted, Billing works the office's hours."""
        agents = {agent.user.username: agent for agent in Agent.objects.select_related("user")}
        office = BusinessCalendar.objects.get(name="Support office")
        for name, description, lead, members, categories, restricted, office_hours in TEAMS:
            team, created = Team.objects.get_or_create(
                name=name,
                defaults={"description": description, "restricted": restricted},
            )
            if created:  # a later run leaves an admin's changes alone
                team_update(
                    team=team,
                    members=[agents[username] for username in members],
                    lead=agents[lead],
                    calendar=office if office_hours else None,
                    categories=Category.objects.filter(slug__in=categories),
                )

    def seed_tickets(self) -> int:
        """Create each demo ticket that does not exist yet, through the services, so each has
        its history; spread their creation over the last two weeks."""
        agents = list(Agent.objects.prefetch_related("specializations", "teams").order_by("id"))
        created = 0
        for index, (subject, description, category, priority, status, conversation) in enumerate(DEMO_TICKETS):
            email = f"customer{index + 1}@{DEMO_DOMAIN}"
            if Ticket.objects.filter(customer_email=email, subject=subject).exists():
                continue
            russian = of_text(subject, description) == "ru"
            name = RUSSIAN_NAMES[index % len(RUSSIAN_NAMES)] if russian else f"Customer {index + 1}"
            customer = customer_actor(name, email)
            ticket = services.ticket_create(
                subject=subject,
                description=description,
                customer_email=email,
                customer_name=name,
                category=Category.objects.get(slug=category),
                priority=priority,
                channel=["portal", "email", "api"][index % 3],
                actor=customer,
                auto_assign=False,
            )
            # Assigned as auto-assignment would: specialised, and a member of the ticket's team.
            matching = [
                a
                for a in agents
                if any(c.slug == category for c in a.specializations.all())
                and (ticket.team_id is None or any(t.pk == ticket.team_id for t in a.teams.all()))
            ]
            agent = matching[index % len(matching)] if matching and status != Status.NEW else None
            actor = Actor(type="agent", name=agent.name, user=agent.user, agent=agent) if agent else None
            if agent is not None:
                ticket_assign(ticket=ticket, agent=agent, actor=actor, override=True)
            for who, body in conversation:
                if who == "customer":
                    services.message_create(ticket=ticket, body=body, actor=customer)
                elif actor is not None:
                    services.message_create(ticket=ticket, body=body, actor=actor, internal=who == "note")
            for step in PATHS[status]:
                ticket.refresh_from_db()
                if ticket.status != step and actor is not None:
                    services.ticket_change_status(ticket=ticket, status=step, actor=actor)
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=timezone.now() - timedelta(hours=8 * (len(DEMO_TICKETS) - index))
            )
            # Due times follow the backdated creation, so the demo has breaches to show.
            ticket.refresh_from_db()
            ticket.save(update_fields=sla_clock.sla_apply(ticket=ticket))
            created += 1
        return created
