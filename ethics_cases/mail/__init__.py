"""Email through an outbox table: ``queue_email`` adds a row to the current transaction, so an
action and its email commit (or roll back) together and a slow or failing mail server never
blocks or loses the action; ``deliver_pending`` sends what is due, with retries."""

from .outbox import DeliveryReport, deliver_pending, queue_email

__all__ = ["DeliveryReport", "deliver_pending", "queue_email"]
