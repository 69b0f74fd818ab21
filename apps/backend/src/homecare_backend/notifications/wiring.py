"""Push clients from settings: enabled only when their secret is configured (not a placeholder)."""

from __future__ import annotations

import httpx

from homecare_backend.config import Settings
from homecare_backend.notifications.dispatcher import Pushers
from homecare_backend.notifications.fcm import FcmClient, ServiceAccount
from homecare_backend.notifications.webpush import WebPushClient, load_vapid_key


def build_pushers(settings: Settings, http: httpx.AsyncClient) -> Pushers:
    pushers = Pushers()
    if settings.fcm_enabled:
        account = ServiceAccount.from_json(settings.fcm_credentials.get_secret_value())
        pushers.fcm = FcmClient(account, http, settings.fcm_base_url)
    if settings.webpush_enabled:
        key = load_vapid_key(settings.vapid_private_key.get_secret_value())
        pushers.webpush = WebPushClient(key, settings.vapid_subject, http)
    return pushers
