"""Offline question parsing: plain words -> QuerySpec, with no LLM.

The time window, top-N and filter values are read with patterns over the question (filter values
are the lake's own distinct values, so they generalize to new products and segments); metric and
dimension words go through the Matcher (aliases, then MiniLM similarity).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from hashira_assets.analytics.guard import Refusal
from hashira_assets.analytics.matching import (
    CachedEmbedder,
    Matcher,
    content_phrases,
    find_phrase,
    normalize,
)
from hashira_assets.analytics.semantic import DIMENSIONS, METRICS
from hashira_assets.analytics.spec import ALL_TIME, QuerySpec, Window

MAX_QUESTION_CHARS = 2000
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve"]
    )
}  # fmt: skip
_NUM = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365, "quarter": 91}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_INJECTION = re.compile(
    r"(;|--|/\*|\b(drop|truncate|alter|create|replace)\s+(or\s+replace\s+)?(table|view|schema|"
    r"database|index|secret|macro|sequence|function)\b|\bdelete\s+from\b|\binsert\s+into\b|"
    r"\bupdate\s+\w+\s+set\b|\b(attach|detach|pragma|install|load)\s+['\"]?[\w/.]|"
    r"\bcopy\s+\S+\s+(to|from)\b|\bread_\w+\s*\(|\bignore\b.{0,40}\b(rules|instructions|"
    r"above|previous|guard)\b|\b(system prompt|jailbreak|developer mode)\b)",
    re.IGNORECASE,
)
_WHY = re.compile(r"\b(why|what caused|what explains|what drove|explain|reason)\b", re.I)
_CHANGE_UP = re.compile(r"\b(rise|rose|risen|jump|jumped|increase|increased|grow|grew|spike|"
                        r"spiked|climb|climbed|go up|went up|up)\b", re.I)  # fmt: skip
_CHANGE = re.compile(r"\b(drop|dropped|fall|fell|fallen|decline|declined|dip|dipped|decrease|"
                     r"decreased|shrink|shrank|go down|went down|down|change|changed|move|moved)\b"
                     r"|" + _CHANGE_UP.pattern, re.I)  # fmt: skip
_INACTIVE = re.compile(r"\b(inactive|dormant|lapsed|churned|idle|gone quiet|went quiet|"
                       r"no activity|not (been )?active|stopped (shopping|buying|visiting)|"
                       r"haven'?t (been active|visited|bought|shopped|come back))\b",
                       re.I)  # fmt: skip
_DESC = re.compile(r"\b(most|highest|best|top|largest|biggest|greatest|leading|lead|"
                   r"max(imum)?)\b", re.I)  # fmt: skip
_ASC = re.compile(r"\b(least|lowest|worst|fewest|smallest|bottom|min(imum)?|weakest)\b", re.I)
# A lookahead, so that "per order for each rank" yields both "per ..." and "for each ...".
_GROUP = re.compile(r"(?=\b(by|per|for each|for every|across|split by|broken down by|grouped by|"
                    r"each|every|among)\s+((?:[a-z]+\s*){1,3}))", re.I)  # fmt: skip
_WHICH = re.compile(rf"\b(which|what)\s+(?:{_NUM}\s+)?((?:[a-z]+\s*){{1,3}})", re.I)
_RATIO = re.compile(r"\b(share|proportion|fraction|rate|ratio|percentage|percent)\b", re.I)
_PER_ORDER = re.compile(r"\bper\s+(order|purchase|basket)\b|\b(average|mean|typical)\s+"
                        r"(order|basket|ticket|spend)", re.I)  # fmt: skip
# Words that end a grouping phrase ("by rarity for 2025" groups by rarity).
_PHRASE_END = frozenset(
    [
        "for",
        "in",
        "during",
        "over",
        "since",
        "last",
        "this",
        "the",
        "please",
        "and",
        "with",
        "from",
        "to",
        "on",
        "at",
        "lead",
        "leads",
        "leading",
        "ranked",
    ]
)
_PRODUCT_NOUNS = r"(items?|products?|weapons?|gear|pieces?|accessor(y|ies)|goods|stuff|tier)"


def _count(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)


def parse_window(text: str, last_day: dt.date, last_hour: dt.datetime | None) -> Window:
    """The time window a question names, relative to the lake's last day (or hour)."""
    t = text.lower()
    iso = r"(\d{4}-\d{2}-\d{2})"
    if m := re.search(rf"\bbetween\s+{iso}\s+and\s+{iso}", t):
        a, b = (dt.date.fromisoformat(x) for x in m.groups())
        return Window(f"{a} to {b}", start=a, end=b)
    if m := re.search(rf"\b(?:since|from)\s+{iso}(?:\s+(?:to|until|through)\s+{iso})?", t):
        a = dt.date.fromisoformat(m.group(1))
        b = dt.date.fromisoformat(m.group(2)) if m.group(2) else last_day
        return Window(f"{a} to {b}", start=a, end=b)
    if m := re.search(rf"\bon\s+{iso}", t):
        a = dt.date.fromisoformat(m.group(1))
        return Window(str(a), start=a, end=a)
    if m := re.search(rf"\b(?:last|past|previous|trailing|recent)\s+(?:{_NUM}\s+)?(hour)s?\b", t):
        n = _count(m.group(1) or "1")
        if last_hour is None:
            raise Refusal("The lake has no event times, so hour windows cannot be answered.")
        start = last_hour - dt.timedelta(hours=n - 1)
        return Window(f"last {n} hour(s)", start_ts=start, end_ts=last_hour + dt.timedelta(hours=1))
    if m := re.search(rf"\b(?:last|past|previous|trailing|recent)\s+(?:{_NUM}\s+)?"
                      r"(day|week|month|year|quarter)s?\b", t):  # fmt: skip
        days = _count(m.group(1) or "1") * _UNIT_DAYS[m.group(2)]
        return Window(f"last {days} days", start=last_day - dt.timedelta(days=days - 1),
                      end=last_day)  # fmt: skip
    if re.search(r"\byesterday\b", t):
        day = last_day - dt.timedelta(days=1)
        return Window(str(day), start=day, end=day)
    if re.search(r"\btoday\b", t):
        return Window(str(last_day), start=last_day, end=last_day)
    if re.search(r"\bthis month\b", t):
        return Window("this month", start=last_day.replace(day=1), end=last_day)
    if re.search(r"\bthis year\b", t):
        return Window("this year", start=last_day.replace(month=1, day=1), end=last_day)
    month_names = "|".join(sorted(_MONTHS, key=len, reverse=True))
    if m := re.search(rf"\b({month_names})\.?\s+(\d{{4}})\b", t):
        year, month = int(m.group(2)), _MONTHS[m.group(1)]
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return Window(f"{year}-{month:02d}", start=dt.date(year, month, 1), end=end)
    if m := re.search(r"\bq([1-4])\s+(\d{4})\b", t):
        q, year = int(m.group(1)), int(m.group(2))
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
        return Window(f"Q{q} {year}", start=start, end=end)
    if m := re.search(r"(?<![\d-])((?:19|20)\d\d)(?![\d-])", t):
        year = int(m.group(1))
        return Window(str(year), start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    return ALL_TIME


def _value_pattern(value: str) -> str:
    words = [re.escape(w) for w in value.split()]
    return r"\b" + r"\s+".join(words) + r"(?:s|es)?\b"


def parse_filters(
    text: str, values: Mapping[str, Sequence[str]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(dimension, values) pairs for the lake values the question names.

    Words that are also plain English (rare, common, love, sound) count only where the question
    uses them as the attribute: a style capitalized or followed by "breathing"/"style", a rarity
    followed by a product noun or "rarity"."""
    found: dict[str, list[str]] = {}
    for dim, options in values.items():
        for value in sorted(options, key=len, reverse=True):
            pattern = _value_pattern(value)
            if dim == "breathing_style":
                pattern = rf"(?:\b{re.escape(value)}\b(?=\s+(?:breathing|style))|" \
                          rf"(?-i:\b{re.escape(value)}\b))"  # fmt: skip
            elif dim == "rarity" and value.lower() in ("rare", "common"):
                pattern = rf"\b{value}\s+(?:rarity\s+)?{_PRODUCT_NOUNS}\b|\brarity\s+{value}\b"
            elif dim == "department":
                pattern = (r"\baccessor(y|ies)\b" if value == "accessory" else
                           r"\b(only\s+weapons|weapons\s+only|weapon\s+department)\b")  # fmt: skip
            if re.search(pattern, text, flags=re.IGNORECASE):
                taken = any(value.lower() in v.lower() for vs in found.values() for v in vs)
                if not taken:
                    found.setdefault(dim, []).append(value)
    return tuple((dim, tuple(vals)) for dim, vals in found.items())


def parse_top_n(text: str) -> tuple[int | None, bool]:
    """(N, ascending) for "top 5", "3 lowest", "which ... most"; (None, False) otherwise."""
    t = text.lower()
    ascending = bool(_ASC.search(t)) and not _DESC.search(t)
    if m := re.search(rf"\b(?:top|bottom|first|best|worst)\s+{_NUM}\b", t):
        return _count(m.group(1)), ascending
    if m := re.search(rf"\b{_NUM}\s+(?:most|highest|best|top|largest|biggest|greatest|least|"
                      r"lowest|worst|fewest|smallest|leading|weakest)\b", t):  # fmt: skip
        return _count(m.group(1)), ascending
    if m := re.search(r"\b(?:which|what)\s+(\d+|two|three|four|five|six|seven|eight|nine|ten)\b",
                      t):  # fmt: skip
        return _count(m.group(1)), ascending
    return None, ascending


def screen(question: str) -> None:
    """Refuse questions too long to be questions, or carrying SQL or instructions to the system."""
    if len(question) > MAX_QUESTION_CHARS:
        raise Refusal(f"The question is longer than {MAX_QUESTION_CHARS:,} characters.")
    if _INJECTION.search(question):
        raise Refusal(
            "The question contains SQL commands or instructions to the system; "
            "ask about the data in plain words."
        )


class QuestionParser:
    """Turns a question into a QuerySpec, or raises Refusal saying what it could not read."""

    def __init__(
        self,
        last_day: dt.date,
        last_hour: dt.datetime | None,
        filter_values: Mapping[str, Sequence[str]],
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        self.last_day = last_day
        self.last_hour = last_hour
        self.filter_values = filter_values
        metric_words = {m.name: [*m.aliases, m.description] for m in METRICS.values()}
        dim_words = {d.name: list(d.aliases) for d in DIMENSIONS.values()}
        cached = CachedEmbedder(embed) if embed is not None else None
        self.metrics = Matcher(metric_words, cached)
        self.dimensions = Matcher(dim_words, cached)

    def parse(self, question: str) -> QuerySpec:
        screen(question)
        window = parse_window(question, self.last_day, self.last_hour)
        filters = parse_filters(question, self.filter_values)
        if _INACTIVE.search(question):
            days = re.search(r"(\d+)\s*(day|week|month)s?", question.lower())
            threshold = int(days.group(1)) * _UNIT_DAYS[days.group(2)] if days else 30
            top_n, _ = parse_top_n(question)
            return QuerySpec("inactive", metric="active_users", inactive_days=threshold,
                             top_n=top_n)  # fmt: skip
        text = self._strip(question, window, filters)
        tokens = normalize(text)
        dims = self._dimensions(text, tokens)
        metric = self._metric(text, tokens, dims)
        top_n, ascending = parse_top_n(question)
        categorical = [d for d in dims if not DIMENSIONS[d].is_time]
        if _WHY.search(question) and _CHANGE.search(question):
            if window == ALL_TIME:
                window = Window("last 7 days", start=self.last_day - dt.timedelta(days=6),
                                end=self.last_day)  # fmt: skip
            return QuerySpec("why", metric=metric, window=window, filters=filters)
        if (
            categorical
            and top_n is None
            and re.search(r"\b(which|what)\b", question, re.I)
            and (_DESC.search(question) or _ASC.search(question))
        ):
            top_n = 1
        return QuerySpec("metric", metric=metric, dimensions=tuple(dims), window=window,
                         filters=filters, top_n=top_n, ascending=ascending)  # fmt: skip

    def _strip(self, question: str, window: Window, filters) -> str:
        """The question without the filter values (their words are not metric words)."""
        text = question
        for _dim, values in filters:
            for value in values:
                text = re.sub(_value_pattern(value), " ", text, flags=re.IGNORECASE)
        return text

    def _dimensions(self, text: str, tokens: list[str]) -> list[str]:
        dims: list[str] = []

        def add(dim: str) -> None:
            if dim not in dims:
                dims.append(dim)

        for pattern in (_GROUP, _WHICH):
            for m in pattern.finditer(text):
                phrase = []
                for word in normalize(m.group(m.lastindex)):
                    if word in _PHRASE_END:
                        break
                    phrase.append(word)
                if not phrase:
                    continue
                hit = self.dimensions.exact(phrase)
                if hit:
                    add(hit[0])
                elif pattern is _GROUP:
                    # A grouping phrase that reads more like a measure ("by revenue") is not one.
                    candidates = self.dimensions.ranked(phrase, [" ".join(phrase)])
                    measure = self.metrics.ranked(phrase, [" ".join(phrase)])
                    if candidates and (not measure or candidates[0][0] > measure[0][0]):
                        add(candidates[0][1])
        for word, dim in (("daily", "day"), ("weekly", "week"), ("monthly", "month"),
                          ("hourly", "hour")):  # fmt: skip
            if word in tokens:
                add(dim)
        if m := re.search(r"\b(?:top|bottom|best|worst)\s+\w+\s+((?:[a-z]+\s*){1,3})", text, re.I):
            hit = self.dimensions.exact(normalize(m.group(1)))
            if hit and hit[1] == 0:
                add(hit[0])
        return dims

    def _metric(self, text: str, tokens: list[str], dims: list[str]) -> str:
        # The grouping words ("per customer segment") are not measure words.
        dim_words = {w for d in dims for a in DIMENSIONS[d].aliases for w in normalize(a)}
        kept = [t for t in tokens if t not in dim_words]
        ranked = self.metrics.ranked(kept, content_phrases(kept))
        if ranked:
            metric = ranked[0][1]
        elif find_phrase(tokens, "best selling") >= 0 or find_phrase(tokens, "sold") >= 0:
            metric = "units"
        else:
            names = ", ".join(m.label.lower() for m in METRICS.values())
            raise Refusal(
                f"I could not tell which measure the question asks about; I know {names}."
            )
        # Composition the words make plain: a share of returns is the return rate, money per
        # order is the average order value.
        if metric == "returned_units" and _RATIO.search(text):
            return "return_rate"
        if metric in ("revenue", "orders") and _PER_ORDER.search(text):
            return "average_order_value"
        return metric
