"""Statements as files: CSV (UTF-8 with a byte-order mark, so Excel in Korea reads it as UTF-8
rather than CP949) and PDF (WeasyPrint from HTML, set in Noto Sans CJK KR from Debian's
fonts-noto-cjk). Pure functions of the computed statements; labels are Korean.

Amounts in the CSV are plain integers (Excel sums them); in the PDF they are grouped (130,500).
"""

from __future__ import annotations

import csv
import html
import io
import logging
from collections.abc import Callable
from datetime import datetime

from homecare_backend.billing.calculator import SEOUL, Surcharge
from homecare_backend.statements.service import (
    AgencyStatement,
    CaregiverStatement,
    ExceptionFlag,
    RecipientClaims,
)

BOM = "\ufeff"
FONT = "Noto Sans CJK KR"

REASONS = {
    "outside_geofence": "위치 벗어남",
    "tag_missing": "태그 없음",
    "tag_mismatch": "태그 불일치",
    "check_in_far_from_start": "시작시각 차이",
    "check_out_without_check_in": "시작 기록 없음",
}
REVIEW = {"open": "검토 중", "accepted": "승인", "rejected": "반려"}
STATUS = {"completed": "완료", "settled": "정산"}
GRADES = {"cognitive": "인지지원"}
CATEGORIES = {
    "standard": "일반 15%",
    "reduced_40": "감경 9%",
    "reduced_60": "감경 6%",
    "basic_livelihood": "기초수급 0%",
}

CAREGIVER_HEADER = [
    "방문일",
    "수급자",
    "상태",
    "계획 시작",
    "계획 종료",
    "실제 시작",
    "실제 종료",
    "서비스 시간(분)",
    "저녁 가산(분)",
    "야간 가산(분)",
    "휴일 가산(분)",
    "기본 급여(원)",
    "가산 급여(원)",
    "합계(원)",
    "EVV 예외",
]
AGENCY_HEADER = [
    "수급자",
    "등급",
    "본인부담 구분",
    "방문일",
    "요양보호사",
    "실제 시작",
    "실제 종료",
    "서비스 시간(분)",
    "급여비용(원)",
    "공단부담금(원)",
    "본인부담금(원)",
    "한도초과(원)",
    "비급여(원)",
    "보호자 부담 합계(원)",
    "EVV 예외",
]


Clock = Callable[[datetime | None, datetime], str]


def _local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SEOUL).strftime(fmt) if moment else ""


def _full(moment: datetime | None, _day: datetime) -> str:
    return _local(moment)


def _short(moment: datetime | None, day: datetime) -> str:
    """The clock time only when on the visit's day (the PDF's columns are narrow)."""
    if moment is None:
        return ""
    same = moment.astimezone(SEOUL).date() == day.astimezone(SEOUL).date()
    return _local(moment, "%H:%M" if same else "%m-%d %H:%M")


def _flags(flags: list[ExceptionFlag]) -> str:
    return "; ".join(
        f"{REASONS.get(f.reason, f.reason)}({REVIEW.get(f.status, f.status)})" for f in flags
    )


def _grade(grade: str | None) -> str:
    if grade is None:
        return "등급 없음"
    return GRADES.get(grade, f"{grade}등급")


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def caregiver_csv(s: CaregiverStatement) -> bytes:
    return _csv(_caregiver_rows(s, _full))


def _caregiver_rows(s: CaregiverStatement, clock: Clock) -> list[list[object]]:
    rows: list[list[object]] = [list(CAREGIVER_HEADER)]
    for line in s.lines:
        day = line.start_at
        m = line.surcharge_minutes
        rows.append(
            [
                _local(line.start_at, "%Y-%m-%d"),
                line.recipient_name,
                STATUS.get(line.status, line.status),
                clock(line.start_at, day),
                clock(line.end_at, day),
                clock(line.started_at, day),
                clock(line.finished_at, day),
                line.served_minutes,
                m.get(Surcharge.EVENING, 0),
                m.get(Surcharge.NIGHT, 0),
                m.get(Surcharge.HOLIDAY, 0),
                line.base_krw,
                line.surcharge_krw,
                line.earnings_krw,
                _flags(line.exceptions),
            ]
        )
    rows.append(
        [
            "합계",
            f"{len(s.lines)}건",
            "",
            "",
            "",
            "",
            "",
            s.served_minutes,
            s.surcharge_minutes(Surcharge.EVENING),
            s.surcharge_minutes(Surcharge.NIGHT),
            s.surcharge_minutes(Surcharge.HOLIDAY),
            s.base_krw,
            s.surcharge_krw,
            s.earnings_krw,
            f"{s.exception_visits}건" if s.exception_visits else "",
        ]
    )
    return rows


def _claim_totals(
    label: str, source: RecipientClaims | AgencyStatement, visits: int
) -> list[object]:
    return [
        label,
        "",
        "",
        f"{visits}건",
        "",
        "",
        "",
        "",
        source.total("amount_krw"),
        source.total("nhis_krw"),
        source.total("copay_krw"),
        source.total("above_limit_krw"),
        source.total("private_krw"),
        source.total("family_krw"),
        f"{source.exception_visits}건" if source.exception_visits else "",
    ]


def agency_csv(s: AgencyStatement) -> bytes:
    return _csv(_agency_rows(s, _full))


def _agency_rows(s: AgencyStatement, clock: Clock) -> list[list[object]]:
    rows: list[list[object]] = [list(AGENCY_HEADER)]
    for r in s.recipients:
        for line in r.lines:
            c = line.split
            rows.append(
                [
                    r.name,
                    _grade(r.care_grade),
                    CATEGORIES.get(r.copay_category, r.copay_category),
                    _local(line.start_at, "%Y-%m-%d"),
                    line.caregiver_name,
                    clock(line.started_at, line.start_at),
                    clock(line.finished_at, line.start_at),
                    line.served_minutes,
                    c.amount_krw,
                    c.nhis_krw,
                    c.copay_krw,
                    c.above_limit_krw,
                    c.private_krw,
                    c.family_krw,
                    _flags(line.exceptions),
                ]
            )
        rows.append(_claim_totals(f"소계 {r.name}", r, len(r.lines)))
    rows.append(_claim_totals("합계", s, s.visits))
    return rows


def won(amount: int) -> str:
    return f"{amount:,}"


_CSS = f"""
@page {{ size: A4 landscape; margin: 14mm 12mm; }}
body {{ font-family: "{FONT}", sans-serif; font-size: 8.5pt; color: #111; }}
h1 {{ font-size: 15pt; margin: 0 0 2mm; }}
h2 {{ font-size: 11pt; margin: 5mm 0 1mm; }}
p.meta {{ margin: 0 0 3mm; color: #444; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.4pt solid #999; padding: 1mm 1.4mm; }}
td {{ white-space: nowrap; }}
td:last-child {{ white-space: normal; }}
th {{ background: #eee; font-weight: bold; word-break: keep-all; }}
td.n {{ text-align: right; }}
tr.total td {{ font-weight: bold; background: #f6f6f6; }}
dl {{ display: flex; flex-wrap: wrap; margin: 0 0 3mm; }}
dt {{ font-weight: bold; margin-right: 1.5mm; }}
dd {{ margin: 0 6mm 0 0; }}
"""


def _cell(value: object) -> str:
    if isinstance(value, int):
        return f'<td class="n">{won(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table(header: list[str], rows: list[list[object]], total: list[object] | None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        ('<tr class="total">' if str(row[0]).startswith("소계") else "<tr>")
        + "".join(_cell(v) for v in row)
        + "</tr>"
        for row in rows
    )
    if total is not None:
        body += '<tr class="total">' + "".join(_cell(v) for v in total) + "</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(items: list[tuple[str, str]]) -> str:
    return (
        "<dl>"
        + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
        + "</dl>"
    )


def _pdf(title: str, body: str) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which only the PDF routes need.
    from weasyprint import HTML  # noqa: PLC0415

    # Its per-step progress lines are not request logs.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    document = (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    pdf: bytes = HTML(string=document).write_pdf()
    return pdf


def caregiver_pdf(s: CaregiverStatement) -> bytes:
    title = f"요양보호사 월간 명세서 {s.year}년 {s.month}월"
    hours = f"{s.served_minutes / 60:.2f}시간 ({s.served_minutes}분)"
    summary = _summary(
        [
            ("요양보호사", s.caregiver_name),
            ("시급", f"{won(s.hourly_rate_krw)}원"),
            ("방문", f"{len(s.lines)}건"),
            ("서비스 시간", hours),
            ("저녁 가산", f"{s.surcharge_minutes(Surcharge.EVENING)}분"),
            ("야간 가산", f"{s.surcharge_minutes(Surcharge.NIGHT)}분"),
            ("휴일 가산", f"{s.surcharge_minutes(Surcharge.HOLIDAY)}분"),
            ("지급 합계", f"{won(s.earnings_krw)}원"),
        ]
    )
    header, *lines = _caregiver_rows(s, _short)
    table = _table([str(h) for h in header], lines[:-1], lines[-1])
    note = (
        "<p class='meta'>서비스 시간은 체크인·체크아웃 시각(서버 기준) 사이입니다. 가산은 "
        "저녁 18–22시 20%, 야간 22–06시 30%, 일요일·공휴일 30%이며 중복 적용하지 않습니다.</p>"
    )
    return _pdf(title, summary + note + table)


def agency_pdf(s: AgencyStatement) -> bytes:
    title = f"기관 월간 청구 명세서 {s.year}년 {s.month}월"
    summary = _summary(
        [
            ("기관", s.agency_name),
            ("수급자", f"{len(s.recipients)}명"),
            ("방문", f"{s.visits}건"),
            ("급여비용", f"{won(s.total('amount_krw'))}원"),
            ("공단 청구액", f"{won(s.total('nhis_krw'))}원"),
            ("본인부담금", f"{won(s.total('copay_krw'))}원"),
            ("한도초과", f"{won(s.total('above_limit_krw'))}원"),
            ("EVV 예외 방문", f"{s.exception_visits}건"),
            ("검토 중 공단부담", f"{won(s.nhis_under_review_krw)}원"),
        ]
    )
    header, *lines = _agency_rows(s, _short)
    table = _table([str(h) for h in header], lines[:-1], lines[-1])
    provisional = ", ".join(r.name for r in s.recipients if r.provisional)
    note = (
        f"<p class='meta'>잠정 산정(해당 연도 수가표 미반영): {html.escape(provisional)}</p>"
        if provisional
        else ""
    )
    return _pdf(title, summary + note + table)
