"""Does a summary state only what its transcript supports? Facts checked one by one.

The facts a support summary can get wrong, and what counts as support for each:
- order numbers (HM-…) and every other number (amounts, days, points, percentages, dates):
  the same token somewhere in the transcript;
- products and product kinds (a catalog name, "katana", "whetstone"…): named in the transcript;
- actions the summary says were asked for ("wanted to return") : named somewhere in the chat;
- actions the summary says were taken, those a reader acts on (a refund, a replacement, store
  credit, a redelivery, a tracking link…; an address or a points balance is checked as numbers):
  an agent's sentence that offers or confirms it and does not negate it in the same clause
  ("I can't cancel it" supports no cancellation). An action the customer only asked for
  ("wanted to cancel") is not a claim and needs no support.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

ORDER_RE = re.compile(r"\bHM-\d+\b", re.IGNORECASE)
NUMBER_RE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?:st|nd|rd|th)?(?![\w])")
SPEAKER_RE = re.compile(r"^\s*(customer|agent)\s*:\s*", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+")

# Each action: the words that state it (in a summary or an agent's sentence).
ACTIONS: dict[str, tuple[str, ...]] = {
    "refund": ("refund", "money back", "reimburs", "back on your card"),
    "replacement": ("replacement", "replace", "new one", "another one", "another set"),
    "store credit": ("store credit", "credit"),
    "redelivery": ("redeliver", "re-deliver", "reship", "send another", "resend"),
    "tracking": ("tracking",),
    "return label": ("return label", "prepaid label", "free label"),
    # A return of the item itself ("a return", not "returned within 10 days" of a repair).
    "return": (
        "a return",
        "free return",
        "to return",
        "return it",
        "return the",
        "send back",
        "send it back",
        "sent back",
        "take it back",
        "go back",
    ),
    "discount": ("discount", "% off", "percent off"),
    "cancellation": ("cancel",),
    "exchange": ("exchange", "swap"),
    "repair": ("repair", "sharpen", "fix it", "fixed"),
    "escalation": ("escalat", "passed it to", "passed this to"),
    "password reset": ("reset",),
    "waiting list": ("waiting list", "waitlist", "wait list"),
    "express delivery": ("express",),
    "gift wrap": ("gift wrap", "gift-wrap", "giftwrap"),
}
# Requests a summary may not invent (a return nobody asked for changes what the case is).
CHECKED_REQUESTS = frozenset(
    {"refund", "replacement", "return", "cancellation", "exchange", "redelivery", "store credit"}
)
# Words just before an action word that make it a request or a refusal, not something done.
_NOT_A_CLAIM = re.compile(
    r"\b(wanted|wants|want|asked|asking|requested|request|hoped|hoping|would like|whether|"
    r"if|instead of|not|no|never|couldn't|could not|can't|cannot|without|declined|refused)\b"
    r"[\w\s'-]{0,30}$",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(can't|cannot|can not|couldn't|won't|unable|not able|isn't possible|no longer|"
    r"not possible|don't|do not|never)\b",
    re.IGNORECASE,
)
# Kinds of product a summary may name without its full catalog name.
PRODUCT_KINDS = (
    "katana", "nodachi", "axe", "flail", "whip", "cleaver", "serrated", "needle", "serpent",
    "kunai", "scabbard", "tsuba", "haori", "weights", "whetstone", "oil", "charm", "blade",
    "sword",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class UnsupportedFact:
    kind: str  # "order", "number", "product", "action"
    value: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r}"


def _numbers(text: str) -> set[str]:
    return {m.group(1).replace(",", ".") for m in NUMBER_RE.finditer(text)}


def agent_sentences(transcript: str) -> list[str]:
    """The agent's sentences (a line without a speaker label counts as the agent's when the
    transcript has no labels at all)."""
    lines = transcript.splitlines()
    labelled = any(SPEAKER_RE.match(line) for line in lines)
    out = []
    for line in lines:
        match = SPEAKER_RE.match(line)
        if labelled and not (match and match.group(1).lower() == "agent"):
            continue
        text = line[match.end() :] if match else line
        out += [s for s in _SENTENCE_RE.split(text) if s.strip()]
    return out


_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:but|so|and|instead)\b")


def _offered(sentence: str, word: str) -> bool:
    """Whether `sentence` offers `word`'s action: a negation counts only in its own clause
    ("I can't refund it, but I'm reshipping it" offers the reshipping)."""
    lowered = sentence.lower()
    for match in re.finditer(re.escape(word), lowered):
        clause = _CLAUSE_BREAK.split(lowered[: match.start()])[-1]
        if not _NEGATION.search(clause):
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    """Whether two words differ by at most one typo (a letter dropped, added, changed or two
    swapped)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def mentioned_actions(text: str, typos: bool = False) -> set[str]:
    """Actions a text names at all, asked for or done; with `typos`, a word one slip away from
    an action's key word counts (customers' "retrn")."""
    lowered = text.lower()
    found = {action for action, words in ACTIONS.items() if any(w in lowered for w in words)}
    if typos:
        tokens = set(re.findall(r"[a-z]{4,}", lowered))
        for action, words in ACTIONS.items():
            keys = {w.split()[-1] for w in words if len(w.split()[-1]) >= 5}
            if any(_one_edit(key, token) for key in keys for token in tokens):
                found.add(action)
    return found


def claimed_actions(summary: str) -> set[str]:
    """Actions a summary says were taken (requests and refusals excluded)."""
    lowered = summary.lower()
    claimed = set()
    for action, words in ACTIONS.items():
        for word in words:
            for match in re.finditer(re.escape(word), lowered):
                if not _NOT_A_CLAIM.search(lowered[: match.start()].split(".")[-1][-40:]):
                    claimed.add(action)
    return claimed


def supported_actions(transcript: str) -> set[str]:
    """Actions an agent offers or confirms somewhere in the transcript."""
    sentences = agent_sentences(transcript)
    return {
        action
        for action, words in ACTIONS.items()
        if any(_offered(s, w) for s in sentences for w in words)
    }


_QUOTED_CUSTOMER = re.compile(r"Customer:.*?(?=Agent:|$)", re.DOTALL)


def _without_quotes(summary: str) -> str:
    """A summary without the customer's quoted words (an extractive summary's "Customer: …"
    part): what a customer says they want or had is not an action the summary claims."""
    return _QUOTED_CUSTOMER.sub(" ", summary)


def unsupported_facts(
    summary: str, transcript: str, product_names: Sequence[str] = ()
) -> list[UnsupportedFact]:
    """Every fact of `summary` that `transcript` does not support (empty: faithful)."""
    lowered_transcript = transcript.lower()
    out = []
    orders = {m.group(0).upper() for m in ORDER_RE.finditer(transcript)}
    for match in ORDER_RE.finditer(summary):
        if match.group(0).upper() not in orders:
            out.append(UnsupportedFact("order", match.group(0)))
    without_orders = ORDER_RE.sub(" ", summary)
    known_numbers = _numbers(ORDER_RE.sub(" ", transcript))
    for number in sorted(_numbers(without_orders) - known_numbers):
        out.append(UnsupportedFact("number", number))
    lowered_summary = summary.lower()
    for name in product_names:
        if name.lower() in lowered_summary and name.lower() not in lowered_transcript:
            out.append(UnsupportedFact("product", name))
    for kind in PRODUCT_KINDS:
        if re.search(rf"\b{kind}", lowered_summary) and not re.search(
            rf"\b{kind}", lowered_transcript
        ):
            out.append(UnsupportedFact("product", kind))
    offered = supported_actions(transcript)
    claimed = claimed_actions(_without_quotes(summary))
    for action in sorted(claimed - offered):
        out.append(UnsupportedFact("action", action))
    # What the summary says the customer wanted must at least be named in the chat.
    asked = (mentioned_actions(summary) - claimed) & CHECKED_REQUESTS
    for action in sorted(asked - mentioned_actions(transcript, typos=True)):
        out.append(UnsupportedFact("request", action))
    return out


def is_faithful(summary: str, transcript: str, product_names: Sequence[str] = ()) -> bool:
    return not unsupported_facts(summary, transcript, product_names)
