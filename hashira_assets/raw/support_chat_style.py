"""How people write in support chats: the turns around the problem, and customers' noise.

Greetings, agents' questions, pushback, short replies, corrections and closings, each in the two
disjoint phrasing sets (A trains, B is held out); and the noise of typed chat (lower case, typos,
no final stop) applied to casual customers.
"""

from __future__ import annotations

import numpy as np

GREETINGS = {
    "A": ("Hi, ", "Hello, ", "hey ", "", "", "Good morning. "),
    "B": ("Evening! ", "hiya, ", "Hello there. ", ""),
}
AGENT_HELLO = {
    "A": ("Hi {name}, thanks for getting in touch.", "Hello {name}, happy to help."),
    "B": ("Hey {name}, I'm on it.", "Thanks {name}, let me see what's going on."),
}
ASK_ORDER = {
    "A": ("Could you give me the order number?", "What's the order number, please?"),
    "B": ("Which order is this about?", "Can you share the order reference?"),
}
GIVE_ORDER = {
    "A": ("It's {order}.", "{order}", "order {order}"),
    "B": ("sure, {order}", "Reference is {order}."),
}
ASK_DETAIL = {
    "A": ("Can you tell me a bit more?", "Anything else I should know?"),
    "B": ("Could you give me a few more details?", "Tell me more, please."),
}
DETAILS = {
    "A": ("I need it before my next mission.", "That's all really.",
          "I've been a customer for years.", "I'd like this sorted quickly."),
    "B": ("My crow keeps asking about it.", "I leave for the mountains soon.",
          "This is my first order with you."),
}  # fmt: skip
HOLD = {
    "A": ("One moment while I check.", "Let me look that up."),
    "B": ("Give me a second.", "Checking now."),
}
# An agent who gets it wrong first: an answer that does not help, and the customer pushing back.
WRONG_ANSWERS = {
    "A": (
        "Have you tried checking your spam folder?",
        "Our standard policy is that we can't change anything once you've paid.",
    ),
    "B": ("That usually sorts itself out in a few days.", "You could try ordering again."),
}
PUSHBACK = {
    "A": (
        "That's not what I asked.",
        "no that doesn't help",
        "Can you check again please?",
        "I already did that.",
    ),
    "B": (
        "that's not really an answer",
        "Seriously? Please look properly.",
        "That's not the point.",
    ),
}
CORRECTION = {
    "A": ("Sorry, you're right, I misread. Let me fix that.", "My mistake, let me look again."),
    "B": ("Apologies, I got that wrong.", "You're right, sorry about that."),
}
REACTIONS = {
    "positive": {
        "A": ("Thank you so much!", "great, thanks", "perfect, thank you", "brilliant"),
        "B": ("You're a star.", "amazing, cheers", "That's great, appreciated!"),
    },
    "neutral": {
        "A": ("ok", "Okay, thanks.", "fine", "alright"),
        "B": ("noted", "k", "ok then", "Sure."),
    },
    "negative": {
        "A": ("Fine, but this took far too long.", "not happy about this",
              "That's disappointing.", "ugh. ok"),
        "B": ("This is the last time I order here.", "whatever", "Really poor service."),
    },
}  # fmt: skip
ANYTHING_ELSE = {
    "A": ("Is there anything else I can help with?", "Anything else today?"),
    "B": ("Can I help with anything else?", "Anything more I can do?"),
}
NOTHING_ELSE = {"A": ("no that's all", "No, thanks."), "B": ("nope", "That's everything.")}
ALSO = {
    "A": ("Also, ", "One more thing: ", "oh and "),
    "B": ("While I'm here, ", "Another thing, "),
}
FILLER = {
    "A": (("customer", "are you still there?"), ("agent", "Yes, still here, thanks for waiting.")),
    "B": (("customer", "hello?"), ("agent", "Sorry for the wait, still on it.")),
}


def pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(0, len(options)))]


def typo(word: str, rng: np.random.Generator) -> str:
    """One slip of the keyboard: two letters swapped, one dropped or one doubled."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def casual(text: str, rng: np.random.Generator, typo_rate: float) -> str:
    """A customer's line as typed quickly: lower case, a few typos, no final full stop.

    Applied to the wording before its {slots} are filled, so names and numbers stay exact."""
    words = [typo(w, rng) if rng.random() < typo_rate else w for w in text.split(" ")]
    out = " ".join(words)
    if rng.random() < 0.7:
        out = " ".join(w if "{" in w else w.lower() for w in out.split(" "))
    if out.endswith(".") and rng.random() < 0.6:
        out = out[:-1]
    return out
