"""Models of SLA policies, business-hours calendars, violations and the notification outbox."""
