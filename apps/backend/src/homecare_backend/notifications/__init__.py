"""Notifications: transactional outbox → dispatcher → in-app feed, SSE stream and push."""
