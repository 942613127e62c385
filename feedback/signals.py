"""What feedback tells the apps above it (automation), as Django signals.

feedback_received(sender=Feedback, feedback=Feedback)
    A customer answered a satisfaction survey, or an integration posted feedback. Sent
    in the transaction that saved it.
"""

from __future__ import annotations

from django.dispatch import Signal

feedback_received = Signal()
