"""Every ORM model, imported in one place so Alembic and tests see the whole schema."""

from homecare_backend.agencies.models import Agency
from homecare_backend.auth.models import LoginAttempt, RefreshToken
from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.caregivers.models import (
    CaregiverDayOff,
    CaregiverProfile,
    CaregiverWeeklySlot,
    VerificationStatus,
)
from homecare_backend.db import Base
from homecare_backend.dispatch.models import Dispatch, DispatchOffer
from homecare_backend.notifications.models import DeviceToken, Notification, OutboxEvent
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role, User

__all__ = [
    "Agency",
    "Base",
    "Booking",
    "BookingStatus",
    "CareRecipient",
    "CaregiverDayOff",
    "CaregiverProfile",
    "CaregiverWeeklySlot",
    "DeviceToken",
    "Dispatch",
    "DispatchOffer",
    "LoginAttempt",
    "Notification",
    "OutboxEvent",
    "RefreshToken",
    "Role",
    "User",
    "VerificationStatus",
]
