"""Matching a question's words to metrics and dimensions: exact phrases first, then MiniLM.

The hand-kept aliases cover the shop's own words; anything else (a synonym, a paraphrase) is
matched by cosine similarity between the bundled MiniLM embeddings of the question's short
phrases and of each metric's or dimension's aliases and description.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "for",
        "to",
        "by",
        "per",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "what",
        "which",
        "who",
        "how",
        "much",
        "many",
        "show",
        "me",
        "tell",
        "give",
        "list",
        "our",
        "we",
        "us",
        "i",
        "you",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "from",
        "at",
        "as",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "please",
        "can",
        "could",
        "would",
        "will",
        "total",
        "overall",
        "all",
        "each",
        "every",
        "over",
        "across",
        "there",
        "their",
        "than",
        "then",
        "so",
        "any",
        "some",
        "get",
        "got",
        "see",
        "number",
        "count",
        "amount",
        "value",
        "across",
        "into",
    ]
)
EMBED_THRESHOLD = 0.5


def normalize(text: str) -> list[str]:
    """Lower-case word tokens with plurals folded (katanas -> katana, categories -> category)."""
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return [_singular(t) for t in tokens]


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def find_phrase(tokens: Sequence[str], phrase: str) -> int:
    """Index where phrase's normalized tokens start in tokens, or -1."""
    words = normalize(phrase)
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if list(tokens[i : i + n]) == words:
            return i
    return -1


class Matcher:
    """Picks the best key for a phrase among keys described by alias lists."""

    def __init__(
        self,
        aliases: Mapping[str, Sequence[str]],
        embed: Callable[[list[str]], np.ndarray] | None = None,
        threshold: float = EMBED_THRESHOLD,
    ) -> None:
        self.aliases = {k: list(v) for k, v in aliases.items()}
        self.embed = embed
        self.threshold = threshold
        self._vectors: np.ndarray | None = None
        self._owners: list[str] = []

    def ranked(self, tokens: Sequence[str], phrases: Sequence[str]) -> list[tuple[float, str]]:
        """(score, key) candidates, best first: an alias found verbatim scores 1, a similar
        phrase its cosine; longer phrases get a bonus, as they say more than one word does."""
        candidates = []
        for key, aliases in self.aliases.items():
            for alias in aliases:
                if find_phrase(tokens, alias) >= 0:
                    length = len(normalize(alias))
                    candidates.append((1.0 + LENGTH_BONUS * (length - 1), key))
        phrases = [p for p in phrases if p.strip()]
        if self.embed is not None and phrases:
            scores = self.embed(list(phrases)) @ self._alias_vectors().T
            for i, phrase in enumerate(phrases):
                j = int(np.argmax(scores[i]))
                if scores[i, j] >= self.threshold:
                    bonus = LENGTH_BONUS * (len(phrase.split()) - 1)
                    candidates.append((float(scores[i, j]) + bonus, self._owners[j]))
        return sorted(candidates, reverse=True)

    def exact(self, tokens: Sequence[str]) -> tuple[str, int, int] | None:
        """(key, start, length) of the longest alias found verbatim in tokens, or None."""
        best = None
        for key, phrases in self.aliases.items():
            for phrase in phrases:
                start = find_phrase(tokens, phrase)
                length = len(normalize(phrase))
                if start >= 0 and (best is None or length > best[2]):
                    best = (key, start, length)
        return best

    def _alias_vectors(self) -> np.ndarray:
        if self._vectors is None:
            texts = [p for phrases in self.aliases.values() for p in phrases]
            self._owners = [k for k, phrases in self.aliases.items() for _ in phrases]
            self._vectors = self.embed(texts)
        return self._vectors

    def similar(self, phrases: Sequence[str]) -> tuple[str, float] | None:
        """(key, cosine) of the best alias for any of the phrases, above the threshold, or None."""
        phrases = [p for p in phrases if p.strip()]
        if self.embed is None or not phrases:
            return None
        scores = self.embed(list(phrases)) @ self._alias_vectors().T
        row, col = np.unravel_index(int(np.argmax(scores)), scores.shape)
        score = float(scores[row, col])
        return (self._owners[col], score) if score >= self.threshold else None


LENGTH_BONUS = 0.15


def content_phrases(tokens: Sequence[str], max_len: int = 4) -> list[str]:
    """The 1- to max_len-word phrases of tokens that neither start nor end with a stopword."""
    out = []
    for n in range(1, max_len + 1):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i : i + n]
            if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or any(t.isdigit() for t in gram):
                continue
            out.append(" ".join(gram))
    return out


class CachedEmbedder:
    """An embed function that remembers the vectors of phrases it has seen: staff questions reuse
    the same short phrases, and embedding them again is most of a question's time."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_entries: int = 50_000):
        self.embed = embed
        self.max_entries = max_entries
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            if len(self._cache) + len(missing) > self.max_entries:
                self._cache.clear()
            self._cache.update(zip(missing, self.embed(missing), strict=True))
        return np.stack([self._cache[t] for t in texts])
