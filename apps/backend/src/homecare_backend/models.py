"""Every ORM model, imported in one place so Alembic and tests see the whole schema."""

from homecare_backend.agencies.models import Agency
from homecare_backend.auth.models import LoginAttempt, RefreshToken
from homecare_backend.bookings.models import Booking, BookingSeries, BookingStatus
from homecare_backend.caregivers.models import (
    CaregiverDayOff,
    CaregiverProfile,
    CaregiverWeeklySlot,
    VerificationStatus,
)
from homecare_backend.carelog.models import CareLog, CareLogRevision, CarePlan
from homecare_backend.db import Base
from homecare_backend.dispatch.models import Dispatch, DispatchOffer
from homecare_backend.idempotency import IdempotencyKey
from homecare_backend.messages.models import BookingMessage, MessageRead
from homecare_backend.notifications.models import (
    DeviceToken,
    Notification,
    OutboxEvent,
    StreamTicket,
)
from homecare_backend.payments.models import Payment
from homecare_backend.recipients.models import (
    CareRecipient,
    RecipientInvitation,
    RecipientMember,
)
from homecare_backend.requests.models import CareRequest
from homecare_backend.reviews.models import Review
from homecare_backend.users.models import Role, User
from homecare_backend.visits.models import VisitCheck, VisitException, VisitSite

__all__ = [
    "Agency",
    "Base",
    "Booking",
    "BookingMessage",
    "BookingSeries",
    "BookingStatus",
    "CareLog",
    "CareLogRevision",
    "CarePlan",
    "CareRecipient",
    "CareRequest",
    "CaregiverDayOff",
    "CaregiverProfile",
    "CaregiverWeeklySlot",
    "DeviceToken",
    "Dispatch",
    "DispatchOffer",
    "IdempotencyKey",
    "LoginAttempt",
    "MessageRead",
    "Notification",
    "OutboxEvent",
    "Payment",
    "RecipientInvitation",
    "RecipientMember",
    "RefreshToken",
    "Review",
    "Role",
    "StreamTicket",
    "User",
    "VerificationStatus",
    "VisitCheck",
    "VisitException",
    "VisitSite",
]
