"""Question understanding: what a shopper's free-form question asks of the catalog.

Shoppers name needs ("something to keep my blade from rusting"), not product types. The catalog's
types are matched three ways, most exact first: the type's name (with plurals and typos), a word
only one type's name has ("whip" -> Whip Sword), and the bundled MiniLM's similarity between the
question's content words and each type's name and one-line gloss. Only the catalog's types can
come out, so the matcher works on every world; a type without a gloss is matched by name alone.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Iterable, Sequence

import numpy as np

from hashira_assets.assistant.grounding import (
    QUESTION_WORDS,
    CatalogVocabulary,
)
from hashira_assets.assistant.metrics import tokens

# What each product type is, in plain words: the category descriptions a shop shows above its
# listings. They say what the thing is and does, never how a particular question is phrased.
TYPE_GLOSSES = {
    "Haori": "a haori, a light coat worn over the uniform",
    "Scabbard": "a scabbard, the sheath a sword is carried in",
    "Sword Oil": "sword oil, an oil for cleaning a steel blade and protecting it from rust",
    "Training Weights": "training weights, heavy weights for strength exercise",
    "Tsuba Guard": "a tsuba guard, the hand guard between a sword's blade and handle",
    "Whetstone": "a whetstone, a stone for sharpening and polishing blades",
    "Wisteria Charm": "a wisteria charm, a small protective amulet",
    "Axe and Chain Flail": "an axe and chain flail, a heavy axe on a chain",
    "Katana": "a katana, a curved single-edged sword",
    "Kunai Set": "a kunai set, small throwing knives",
    "Needle Sword": "a needle sword, a thin light stabbing sword",
    "Nodachi": "a nodachi, a long two-handed sword",
    "Serpent Blade": "a serpent blade, a sword with a wavy blade",
    "Serrated Twin Blades": "serrated twin blades, a pair of jagged swords",
    "Twin Cleavers": "twin cleavers, a pair of broad chopping blades",
    "Whip Sword": "a whip sword, a flexible sword that bends like a whip",
}
# A need matches a type when its similarity is at least this and clearly above the runner-up;
# a near tie (a "crossbow" is about as close to three swords) is not a match.
MIN_SIMILARITY = 0.40
MIN_MARGIN = 0.05
SURE_SIMILARITY = 0.60
# Unknown words rarer than this (Zipf scale) name a thing; commoner ones are how people talk.
RARE_WORD_ZIPF = 4.6
_FUZZY_TYPE = 0.85
# Words that carry no need: dropped before the need is embedded.
_FILLER_TEXT = """
    a an the and or of to in on at for with by from is are was be do does did have has i me
    my we our you your it its this that these those there here what which who how any some
    anything something stuff thing things looking look need want show give get got find
    please pls plz can could would should will shall may might must im i'm i'd i've whats
    what's sell selling sold carry offer stock available slayer slayers demon breathing
    style user users uses using use one ones cheap cheaper cheapest under below over above
    price budget best good great recommend suggest just also really very kind type most
    least expensive pricey priciest costly much cost costs lightest heaviest sharpest weigh
    weighs weight lighter heavier sharper pricier another other else
"""
# Need verbs that are also filler: "do you carry katanas" sells, "to carry my katana in" needs.
_NEED_AFTER = {"carry": ("to", "for"), "carrying": ("for",)}
_FILLER = frozenset(_FILLER_TEXT.split())
_OWNED = re.compile(r"\bmy\s+((?:[a-z'-]+\s+){0,2}?[a-z'-]+)(?=\s+(?:from|for|to|with|and|or|"
                    r"is|are|in|on|so|because|that|which)\b|[\s?.!,]*$|[?.!,])")  # fmt: skip
_CHEAP = re.compile(
    r"\b(cheap|inexpensive|affordable|budget|low[- ]cost|bargain|beginners?|starter|"
    r"new to|just started|starting out|first (?:weapon|one|blade))\b"
)
_YES_NO = re.compile(r"^\s*(is|are|does|do|has|have|can|will)\b")
_STOCK_ASKED = re.compile(r"\b(in stock|available|availability|sold out|out of stock)\b")
_DEPARTMENTS = {
    "weapon": re.compile(r"\bweapons?\b"),
    "accessory": re.compile(r"\baccessor(?:y|ies)\b"),
}


@functools.lru_cache(maxsize=1)
def _zipf():
    from wordfreq import zipf_frequency

    return zipf_frequency


_INFLECTION = re.compile(r"(?:ing|ed|es|s)$")


def is_rare_word(word: str) -> bool:
    """Whether a word is rare in English (a thing's name rather than everyday talk); an
    inflected form of a common word ("cleaning", "wiped") is everyday talk."""
    zipf = _zipf()
    if zipf(word, "en") >= RARE_WORD_ZIPF:
        return False
    stem = _INFLECTION.sub("", word)
    if len(stem) < 3 or stem == word:
        return True
    # "cleaning" -> "clean", "wiped" -> "wip(e)", "stopped" -> "stop(p)"
    forms = {stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem}
    return all(zipf(f, "en") < RARE_WORD_ZIPF for f in forms)


class TypeMatcher:
    """Maps a need to catalog product types with the bundled MiniLM."""

    def __init__(self, product_types: Iterable[str], accessory_types: Iterable[str] = ()):
        from hashira_assets.index.embedding import embed

        self.types = tuple(sorted(set(product_types)))
        # A need for something done to a weapon one owns ("for cleaning my blade") is an
        # accessory: the weapon itself is already theirs.
        self.accessory_types = frozenset(accessory_types) & set(self.types)
        texts = [TYPE_GLOSSES.get(t, t) for t in self.types]
        self._names = embed(list(self.types))
        self._glosses = embed(texts)

    def scores(self, text: str) -> dict[str, float]:
        from hashira_assets.index.embedding import embed

        vector = embed([text])[0]
        sims = np.maximum(self._names @ vector, self._glosses @ vector)
        return dict(zip(self.types, (float(s) for s in sims), strict=True))

    def match(self, text: str, accessories_only: bool = False) -> tuple[tuple[str, ...], float]:
        """(matched types, best similarity); no types when the need is unclear."""
        among = self.accessory_types if accessories_only and self.accessory_types else self.types
        if not text.strip() or not among:
            return (), 0.0
        scores = self.scores(text)
        ranked = sorted(((t, scores[t]) for t in among), key=lambda kv: -kv[1])
        best = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= SURE_SIMILARITY or (best >= MIN_SIMILARITY and best - second >= MIN_MARGIN):
            return (ranked[0][0],), best
        return (), best


def named_in(question: str, names: dict[str, int]) -> list[tuple[int, int, str]]:
    """(start, product id, name) of catalog names in the question, longest name at a position
    first ("X Mk 2" is not "X"); "mk2" and "mark 2" count as "Mk 2"."""
    lowered = re.sub(r"\b(?:mk|mark)\s*\.?\s*(\d+)\b", r"mk \1", question.lower())
    hits = []
    for name, pid in names.items():
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
            hits.append((m.start(), -len(name), pid, name))
    hits.sort()
    out, until = [], -1
    for start, neg, pid, name in hits:
        if start >= until:
            out.append((start, pid, name))
            until = start - neg
    return out


def explicit_types(text: str, product_types: Sequence[str], styles: Sequence[str]) -> list[str]:
    """Types the text names: whole name (plural, small typos) or a word only that type has."""
    found = [t for t in product_types if re.search(rf"\b{re.escape(t.lower())}s?\b", text)]
    if found:
        return found[:1]
    words = tokens(text)
    for t in product_types:
        n = len(t.split())
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        if difflib.get_close_matches(t.lower(), grams, n=1, cutoff=_FUZZY_TYPE):
            return [t]
    style_words = {s.lower() for s in styles}
    owners: dict[str, set[str]] = {}
    for t in product_types:
        for w in tokens(t):
            owners.setdefault(w, set()).add(t)
    for w in words:
        singular = w[:-1] if w.endswith("s") else w
        for candidate in (w, singular):
            types = owners.get(candidate, set())
            if (
                len(types) == 1
                and len(candidate) > 2
                and candidate not in QUESTION_WORDS
                and candidate not in style_words
            ):
                return sorted(types)
    return []


@dataclasses.dataclass(frozen=True)
class Understanding:
    """The catalog terms of one question, beyond the price/style filters grounding parses."""

    product_types: tuple[str, ...] = ()
    type_similarity: float = 0.0
    department: str | None = None
    rarity: str | None = None
    wants_cheap: bool = False
    asks_stock: bool = False  # "is it in stock?": the stock is the asked fact, not a filter
    rare_unknown: tuple[str, ...] = ()
    need_text: str = ""


_WEAPON_WORDS = frozenset({"blade", "blades", "sword", "swords", "weapon", "weapons"})
_MY_THING = re.compile(r"\bmy\s+(?:([a-z'-]+)\s+)?([a-z'-]+)")


def owned_weapon(residual: str, product_types: Sequence[str]) -> str | None:
    """The weapon the shopper says they own ("my blade", "my new katana"), or None."""
    type_words = {w for t in product_types for w in tokens(t)}

    def is_weapon(word: str | None) -> bool:
        return bool(word) and (word in _WEAPON_WORDS or word.rstrip("s") in type_words)

    for m in _MY_THING.finditer(residual):
        first, second = m.group(1), m.group(2)
        if is_weapon(first):
            return first
        if is_weapon(second):
            return f"{first} {second}" if first else second
    return None


def without_owned(text: str, product_types: Sequence[str]) -> str:
    """The text without the things the shopper says they have ("my katana keeps rusting" ->
    "keeps rusting")."""
    weapon = owned_weapon(text, product_types)
    if weapon:
        text = re.sub(rf"\bmy\s+{re.escape(weapon)}\b", " ", text)
    return _OWNED.sub(" ", text)


def need_text(
    question_residual: str, styles: Sequence[str], product_types: Sequence[str] = ()
) -> str:
    """The words that say what is wanted: without owned things ("my katana"), styles,
    numbers and filler."""
    text = without_owned(question_residual, product_types)
    style_words = {s.lower() for s in styles}
    said = tokens(text)
    words = [
        w
        for i, w in enumerate(said)
        if (w not in _FILLER or (i > 0 and said[i - 1] in _NEED_AFTER.get(w, ())))
        and w not in style_words
        and not w.isdigit()
    ]
    return " ".join(words)


def understand(
    residual: str,
    vocab: CatalogVocabulary,
    matcher: TypeMatcher | None,
    rarities: Sequence[str] = ("common", "rare", "epic", "legendary"),
) -> Understanding:
    """Types, department, rarity, budget words and stock question in `residual` (the lower-cased
    question with product names removed)."""
    types = explicit_types(
        without_owned(residual, vocab.product_types), vocab.product_types, vocab.styles
    )
    similarity = 1.0 if types else 0.0
    need = need_text(residual, vocab.styles, vocab.product_types)
    department = next((d for d, rx in _DEPARTMENTS.items() if rx.search(residual)), None)
    if not types and matcher is not None:
        need_wo_department = " ".join(
            w for w in need.split() if not any(rx.search(w) for rx in _DEPARTMENTS.values())
        )
        weapon = owned_weapon(residual, vocab.product_types)
        if weapon and need_wo_department:
            # "for cleaning my blade": something done to a weapon they have, so an accessory;
            # the need is read alone and with the weapon ("cleaning blade"), the surer wins.
            alone = matcher.match(need_wo_department, True)
            with_weapon = matcher.match(f"{need_wo_department} {weapon}", True)
            matched, similarity = max(alone, with_weapon, key=lambda m: (bool(m[0]), m[1]))
        else:
            matched, similarity = matcher.match(need_wo_department)
        types = list(matched)
    rarity = next((r for r in rarities if re.search(rf"\b{r}\b", residual)), None)
    said = tokens(residual)
    # A word right after a number is its unit ("100 bucks", "50 quid"), not a thing asked for.
    unknown = [
        w
        for i, w in enumerate(said)
        if len(w) > 2 and not vocab.is_known(w) and not (i > 0 and said[i - 1].isdigit())
    ]
    return Understanding(
        product_types=tuple(types),
        type_similarity=similarity,
        department=department,
        rarity=rarity,
        wants_cheap=bool(_CHEAP.search(residual)),
        asks_stock=bool(_YES_NO.search(residual) and _STOCK_ASKED.search(residual)),
        rare_unknown=tuple(w for w in unknown if is_rare_word(w)),
        need_text=need,
    )


_STYLE_SUFFIX = r"(?:[\s-]+(?:breathing|breathers?|style|school|users?|slayers?|form))"
STYLE_ASKED = re.compile(r"\b(which|what) (breathing|style|school)|\bmade for\b|\bmeant for\b")


def style_in(question: str, residual: str, vocab: CatalogVocabulary) -> str | None:
    """The breathing style the question names. Style names are also plain words ("a sharpening
    stone"), so a style counts when a style word follows it, when it is capitalized, or when a
    product type follows it."""
    types = "|".join(re.escape(t.lower()) for t in vocab.product_types)
    for s in vocab.styles:
        word = s.lower()
        if re.search(rf"\b{word}\b{_STYLE_SUFFIX}", residual):
            return s
        if types and re.search(rf"\b{word}\s+(?:{types})", residual):
            return s
        if re.search(rf"\b{s}\b", question) and not re.search(rf"^\s*{s}\b", question):
            return s
    return None
