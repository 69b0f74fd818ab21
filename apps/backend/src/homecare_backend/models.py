"""Every ORM model, imported in one place so Alembic and tests see the whole schema."""

from homecare_backend.bookings.models import Booking, BookingStatus
from homecare_backend.caregivers.models import CaregiverProfile
from homecare_backend.db import Base
from homecare_backend.recipients.models import CareRecipient
from homecare_backend.users.models import Role, User

__all__ = ["Base", "Booking", "BookingStatus", "CareRecipient", "CaregiverProfile", "Role", "User"]
