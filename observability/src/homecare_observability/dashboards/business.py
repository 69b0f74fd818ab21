"""Business view of one stack: request metrics plus the apps' domain metrics
(``homecare_booking_transitions``, ``homecare_dispatch_*``, ``homecare_match_*``,
``homecare_sse_*``, ``homecare_outbox_*``).

Panels that need metrics the apps do not export yet (time to confirm, payment failures, visits in
progress, EVV exceptions) are listed in observability/README.md as planned rather than drawn over
nothing.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.models.dashboard import Dashboard

from homecare_observability.dashboards.common import base, graph, namespace_variable, query, single

NS = 'namespace="$namespace"'


def build() -> Dashboard:
    bookings = f'{NS},service="backend",route="/v1/bookings",method="POST"'
    status = f'{NS},service="backend",route="/v1/bookings/{{booking_id}}/status",method="POST"'
    match = f'{NS},service="matching",route="/v1/match"'
    accept = f'{NS},service="backend",route="/v1/offers/{{offer_id}}/accept"'
    return (
        base(
            "homecare-business",
            "Homecare / Business",
            "Bookings, booking status changes, matching and dispatch offers per stack",
        )
        .with_variable(namespace_variable())
        .with_row(Row("Bookings"))
        .with_panel(
            single(
                "Bookings created (24 h)",
                query(f'sum(increase(http_requests_total{{{bookings},status=~"2.."}}[24h]))'),
                "none",
            )
        )
        .with_panel(
            single(
                "Match success rate (1 h)",
                query(
                    f'sum(rate(http_requests_total{{{match},status="200"}}[1h]))'
                    f" / sum(rate(http_requests_total{{{match}}}[1h]))"
                ),
                "percentunit",
                "Share of POST /v1/match answered 200 (a feasible list, possibly short).",
            )
        )
        .with_panel(
            graph(
                "Bookings created per hour",
                [
                    query(
                        f'sum(increase(http_requests_total{{{bookings},status=~"2.."}}[1h]))',
                        "created",
                    )
                ],
                "none",
            )
        )
        .with_panel(
            graph(
                "Booking status changes per hour by response",
                [
                    query(
                        f"sum by (status) (increase(http_requests_total{{{status}}}[1h]))",
                        "{{status}}",
                    )
                ],
                "none",
                "POST /v1/bookings/{booking_id}/status: 2xx applied, 409 refused transitions.",
            )
        )
        .with_panel(
            graph(
                "Bookings entering each state per hour",
                [
                    query(
                        f"sum by (to) (increase(homecare_booking_transitions_total{{{NS}}}[1h]))",
                        "{{to}}",
                    )
                ],
                "none",
                "requested = created; confirmed also counts dispatch accepts.",
            )
        )
        .with_row(Row("Matching and dispatch"))
        .with_panel(
            single(
                "Offer acceptance (24 h)",
                query(
                    f'sum(increase(homecare_dispatch_offers_total{{{NS},outcome="accepted"}}[24h]))'
                    f' / sum(increase(homecare_dispatch_offers_total{{{NS},outcome="sent"}}[24h]))'
                ),
                "percentunit",
                "Accepted offers over offers sent; no data until a wave went out.",
            )
        )
        .with_panel(
            graph(
                "Dispatch offers per hour by outcome",
                [
                    query(
                        f"sum by (outcome) (increase(homecare_dispatch_offers_total{{{NS}}}[1h]))",
                        "{{outcome}}",
                    ),
                    query(f"sum(increase(homecare_dispatch_waves_total{{{NS}}}[1h]))", "waves"),
                ],
                "none",
            )
        )
        .with_panel(
            graph(
                "Candidates per match query",
                [
                    query(
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(homecare_match_candidates_bucket{{{NS}}}[1h])))",
                        f"p{int(q * 100)}",
                    )
                    for q in (0.1, 0.5, 0.9)
                ],
                "none",
            )
        )
        .with_panel(
            graph(
                "Match ranking time",
                [
                    query(
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(homecare_match_duration_seconds_bucket{{{NS}}}[5m])))",
                        f"p{int(q * 100)}",
                    )
                    for q in (0.5, 0.99)
                ],
                "s",
            )
        )
        .with_panel(
            graph(
                "Match requests by status",
                [
                    query(
                        f"sum by (status) (rate(http_requests_total{{{match}}}[5m]))", "{{status}}"
                    )
                ],
                "reqps",
            )
        )
        .with_panel(
            graph(
                "Offers accepted per hour",
                [
                    query(
                        f"sum by (status) (increase(http_requests_total{{{accept}}}[1h]))",
                        "{{status}}",
                    )
                ],
                "none",
            )
        )
        .with_row(Row("Live updates"))
        .with_panel(
            graph(
                "Open event streams (SSE)",
                [query(f"sum(homecare_sse_subscribers{{{NS}}})", "streams")],
                "none",
            )
        )
        .with_panel(
            graph(
                "Streams dropped (client too slow) per hour",
                [query(f"sum(increase(homecare_sse_dropped_total{{{NS}}}[1h]))", "dropped")],
                "none",
            )
        )
        .with_panel(
            graph(
                "Outbox lag (oldest undelivered event)",
                [query(f"max(homecare_outbox_lag_seconds{{{NS}}})", "lag")],
                "s",
                "OutboxLagHigh fires above 60 s for 5 minutes.",
            )
        )
        .build()
    )
