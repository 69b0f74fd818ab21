"""Accounts and authentication: Argon2id passwords, JWT access tokens, rotating refresh tokens."""
