from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from feedback.models import COMMENT_MAX, RATING_MAX, RATING_MIN, Feedback, SurveyInvitation, SurveyState
from tickets.models import Ticket
from tickets.serializers import PeriodQuerySerializer
from tickets.visibility import may_see_team


def rating(required: bool) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=RATING_MIN, max_value=RATING_MAX, required=required, allow_null=not required
    )


class FeedbackSerializer(serializers.ModelSerializer):
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())
    overall = rating(required=True)
    speed = rating(required=False)
    quality = rating(required=False)
    friendliness = rating(required=False)
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True)
    customer_email = serializers.EmailField(required=False, help_text="Defaults to the ticket's customer")
    agent_name = serializers.CharField(source="agent.name", read_only=True, default=None, allow_null=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "ticket",
            "agent",
            "agent_name",
            "customer_email",
            "overall",
            "speed",
            "quality",
            "friendliness",
            "would_recommend",
            "comment",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "agent", "created_at", "updated_at"]
        validators = []  # one feedback per ticket is answered with 409 by the view, not 400

    def validate_ticket(self, ticket: Ticket) -> Ticket:
        request = self.context.get("request")
        if request is not None and not may_see_team(request.user, ticket.team_id):
            # As for a ticket that does not exist: a restricted team's is not told of.
            raise serializers.ValidationError(
                self.fields["ticket"].error_messages["does_not_exist"].format(pk_value=ticket.pk)
            )
        if ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            raise serializers.ValidationError(_("Feedback is given on resolved or closed tickets only."))
        return ticket

    def get_source(self, feedback: Feedback) -> str:
        return "survey" if feedback.survey_id else "api"


class SurveyInvitationSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=SurveyState.choices, read_only=True)

    class Meta:
        model = SurveyInvitation
        fields = ["id", "ticket", "agent", "customer_email", "state", "created_at", "expires_at", "answered_at"]
        read_only_fields = fields


class SummaryQuerySerializer(PeriodQuerySerializer):
    """Feedback given in [start, end)."""


class FiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    csat_percent = serializers.FloatField(allow_null=True, help_text="Share of overall ratings of 4 or 5")
    average_overall = serializers.FloatField(allow_null=True)
    average_speed = serializers.FloatField(allow_null=True)
    average_quality = serializers.FloatField(allow_null=True)
    average_friendliness = serializers.FloatField(allow_null=True)
    recommend_percent = serializers.FloatField(allow_null=True)


class AgentFiguresSerializer(FiguresSerializer):
    agent = serializers.IntegerField(allow_null=True)
    agent_name = serializers.CharField(allow_null=True)
    reply_quality_average = serializers.FloatField(allow_null=True, help_text="Average rating of the agent's replies")
    replies_rated = serializers.IntegerField()


class WeeklyCsatSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday the week starts on")
    count = serializers.IntegerField()
    csat_percent = serializers.FloatField(allow_null=True)


class SummarySerializer(FiguresSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    agents = AgentFiguresSerializer(many=True)
    by_week = WeeklyCsatSerializer(many=True)
    generated_at = serializers.DateTimeField(
        read_only=True, help_text="When these figures were computed (answers are cached for REPORT_CACHE_SECONDS)"
    )
