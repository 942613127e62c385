"""Satisfaction surveys sent on resolution, and the feedback customers give."""

from __future__ import annotations

import secrets

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX = 5000
RATING_FIELDS = ("overall", "speed", "quality", "friendliness")


def new_survey_key() -> str:
    return secrets.token_urlsafe(18)


class SurveyState(models.TextChoices):
    SENT = "sent"
    ANSWERED = "answered"
    EXPIRED = "expired"


class SurveyInvitation(models.Model):
    """One invitation per resolution of a ticket; its link works once, until expires_at."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="survey_invitations")
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_invitations"
    )
    customer_email = models.EmailField(max_length=254)
    key = models.CharField(max_length=64, default=new_survey_key, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="survey_ticket_idx"),
            models.Index(fields=["-created_at"], name="survey_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="survey_expires_after_sent")
        ]

    def __str__(self) -> str:
        return f"survey for #{self.ticket_id} ({self.state})"

    @property
    def state(self) -> str:
        if self.answered_at is not None:
            return SurveyState.ANSWERED
        if self.expires_at <= timezone.now():
            return SurveyState.EXPIRED
        return SurveyState.SENT


def rating_field(label: str, *, required: bool) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=not required,
        blank=not required,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
    )


def rating_constraint(field: str, *, required: bool) -> models.CheckConstraint:
    in_range = Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX})
    return models.CheckConstraint(
        condition=in_range if required else in_range | Q(**{f"{field}__isnull": True}), name=f"feedback_{field}_1_5"
    )


class Feedback(models.Model):
    """What a customer said about a resolved ticket: one per ticket, from a survey or the API."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="feedback")
    survey = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    customer_email = models.EmailField(max_length=254)
    overall = rating_field("overall rating", required=True)
    speed = rating_field("speed", required=False)
    quality = rating_field("quality", required=False)
    friendliness = rating_field("friendliness", required=False)
    would_recommend = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(COMMENT_MAX)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            rating_constraint("overall", required=True),
            rating_constraint("speed", required=False),
            rating_constraint("quality", required=False),
            rating_constraint("friendliness", required=False),
        ]
        indexes = [
            # Summaries: a period, optionally one agent.
            models.Index(fields=["created_at"], name="feedback_created_idx"),
            models.Index(fields=["agent", "created_at"], name="feedback_agent_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.overall}/5"
