"""Pulumi program of the homecare platform (see infra/README.md)."""
