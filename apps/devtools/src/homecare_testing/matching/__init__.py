"""Matching test data and oracle: seeded synthetic caregivers/requests, the brute-force matcher."""
