"""What the SLA engine tells the apps above it (automation), as Django signals.

events_recorded(sender=None, scan_id=UUID, violations=int, warnings=int)
    A scan (all tickets, or one ticket's check) inserted violations or warnings, each
    stamped with `scan_id` (SLAViolation.scan_id, SLAWarning.scan_id); or a target met late
    was recorded as violated when it was met (sla.scan.sla_record_if_late, its own id,
    inside the change that met it). Sent inside the
    scan's transaction, only when it recorded something; receivers that do more than
    queue work should do it on commit: the scan's statement holds its locks until then.
"""

from __future__ import annotations

from django.dispatch import Signal

events_recorded = Signal()
