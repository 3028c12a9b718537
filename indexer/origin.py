"""Origin names as the cablegate site writes them, from an FM line, a banner station or a refid.

The rules are a small hand-written set about how the State Department names its posts
(AMEMBASSY → Embassy, AMCONSUL → Consulate, SECSTATE → Secretary of State, …), not a
table of the corpus.
"""

from __future__ import annotations

import re

# Multilateral missions are named by their acronym, not by a city.
_MISSIONS = {
    "USNATO": "Mission USNATO",
    "USOSCE": "Mission USOSCE",
    "USUN": "USUN New York",
    "UNVIE": "UNVIE",
    "USEU": "USEU Brussels",
    "UNROME": "Mission UNROME",
}

# Posts whose station (as in a banner or refid) is not an embassy. World knowledge about
# US consulates general that report on their own, not data copied from the corpus.
_CONSULATES = frozenset("""
SAO PAULO|RIO DE JANEIRO|RECIFE|MONTERREY|GUADALAJARA|TIJUANA|CIUDAD JUAREZ|HERMOSILLO|
NUEVO LAREDO|MATAMOROS|MERIDA|NOGALES|JERUSALEM|ISTANBUL|ADANA|DUBAI|SHANGHAI|GUANGZHOU|
SHENYANG|CHENGDU|WUHAN|HONG KONG|MUMBAI|KOLKATA|CALCUTTA|CHENNAI|HYDERABAD|KARACHI|LAHORE|
PESHAWAR|JEDDAH|DHAHRAN|NAPLES|MILAN|FLORENCE|BARCELONA|HAMBURG|MUNICH|FRANKFURT|
DUSSELDORF|LEIPZIG|MONTREAL|TORONTO|VANCOUVER|CALGARY|HALIFAX|QUEBEC|CAPE TOWN|DURBAN|
JOHANNESBURG|LAGOS|SYDNEY|MELBOURNE|PERTH|OSAKA KOBE|NAHA|SAPPORO|FUKUOKA|NAGOYA|
BUSAN|CASABLANCA|ALEXANDRIA|BASRAH|ERBIL|KIRKUK|HILLAH|MOSUL|MARSEILLE|STRASBOURG|
EDINBURGH|BELFAST|AMSTERDAM|KRAKOW|ST PETERSBURG|YEKATERINBURG|VLADIVOSTOK|
CHIANG MAI|HO CHI MINH CITY|SURABAYA|AUCKLAND|THESSALONIKI|PONTA DELGADA|
MATAMOROS|CURACAO|PERTH|HALIFAX""".replace("\n", "").split("|"))

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_PLACE = re.compile(r"[A-Z][A-Z .'-]*")


def title_place(name: str) -> str:
    """'RIO DE JANEIRO' → 'Rio De Janeiro' (the site capitalises every word)."""
    return _WORD.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), " ".join(name.split()))


def origin_from_sender(sender: str | None) -> str | None:
    """The site's origin name for an FM line ('AMEMBASSY LONDON' → 'Embassy London')."""
    if not sender:
        return None
    words = sender.upper().replace("/", " ").split()
    if not words:
        return None
    head, rest = words[0], words[1:]
    if len(rest) >= 2 and len(rest[-1]) == 2 and rest[-1].isalpha():
        rest = rest[:-1]  # `AMEMBASSY TRIPOLI LY`: a country code after the city
    place = " ".join(rest)
    if head == "SECSTATE":
        return "Secretary of State"
    if head in ("AMEMBASSY", "USLO") and rest:
        return f"Embassy {title_place(place)}"
    if head in ("AMCONSUL", "AMCONGEN", "USCONSUL") and rest:
        return f"Consulate {title_place(place)}"
    if head == "USINT" and rest:
        return f"US Interests Section {title_place(place)}"
    if head == "USDEL" and rest:
        return f"US Delegation, {title_place(place)}"
    if head == "USMISSION" and rest:
        if rest[0] in _MISSIONS:
            return _MISSIONS[rest[0]]
        return f"US Mission {title_place(place)}"
    if head in _MISSIONS:
        return _MISSIONS[head]
    return None


def origin_from_station(station: str | None) -> str | None:
    """The origin for a banner station ('LONDON', 'STATE', 'SAO PAULO'); None when unknown."""
    if not station:
        return None
    key = " ".join(station.upper().split())
    if key in ("STATE", "SECSTATE"):
        return "Secretary of State"
    if key in _MISSIONS:
        return _MISSIONS[key]
    if key == "GENEVA":
        return "US Mission Geneva"
    if key in _CONSULATES:
        return f"Consulate {title_place(key)}"
    if not _PLACE.fullmatch(key):
        return None
    return f"Embassy {title_place(key)}"
