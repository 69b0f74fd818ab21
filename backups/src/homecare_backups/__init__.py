"""Backups for the homecare platform: etcd snapshots + cluster PKI, PostgreSQL dumps, drills."""

__version__ = "0.1.0"
