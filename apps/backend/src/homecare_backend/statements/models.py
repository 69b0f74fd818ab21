"""Statements keep no tables of their own: a month's statement is computed when asked, from the
served times of `bookings`, the EVV records of `visits` and the prices of `billing`, so it can
never disagree with them. What a statement counts as served is defined here."""

from __future__ import annotations

from homecare_backend.bookings.models import BookingStatus

# Visits a statement lists: served (checked out) ones. Planned, running and cancelled visits of
# the month are not earnings nor claims yet.
SERVED = (BookingStatus.COMPLETED, BookingStatus.SETTLED)
