"""Billing keeps no tables of its own: it prices `bookings` rows with the recipient's grade and
co-pay category (`care_recipients`) and the caregiver's rate, from the yearly tables in
`tables/`. What counts towards a month is defined here."""

from __future__ import annotations

from homecare_backend.bookings.models import BookingStatus

# Visits that use the month's limit (and appear in the month-to-date view).
COUNTED = (
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.COMPLETED,
    BookingStatus.SETTLED,
)
