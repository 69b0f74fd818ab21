"""Real-time dispatch: offer a booking to the best caregivers in waves; first accept wins."""
