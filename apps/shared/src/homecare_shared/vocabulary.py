"""Vocabularies both services validate against: what a caregiver can do, speaks, is.

Stored as plain strings in the database (text[] columns), validated at the API edge with these
enums, so adding a value is a code change plus (if needed) a data migration — never a DB enum.
"""

from __future__ import annotations

import enum


class Skill(enum.StrEnum):
    DEMENTIA = "dementia"  # 치매 케어
    MOBILITY = "mobility"  # 이동 보조
    BATHING = "bathing"  # 목욕
    MEAL = "meal"  # 식사 준비·보조
    MEDICATION = "medication"  # 투약 확인
    HOUSEKEEPING = "housekeeping"  # 가사 지원
    COMPANIONSHIP = "companionship"  # 정서 지원
    HOSPITAL_ESCORT = "hospital_escort"  # 병원 동행
    BEDRIDDEN = "bedridden"  # 와상 환자 케어


class Language(enum.StrEnum):
    KO = "ko"
    EN = "en"
    ZH = "zh"
    VI = "vi"
    JA = "ja"
    RU = "ru"
    UZ = "uz"
    TL = "tl"


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
