"""Accounts: who someone is (role, agency); signing in is the auth domain's job."""
