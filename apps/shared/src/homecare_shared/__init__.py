"""Plumbing shared by the backend and matching services (no domain logic here)."""
