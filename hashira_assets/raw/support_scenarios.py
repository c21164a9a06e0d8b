"""What support chats are about: each issue kind, its scenarios, and how each can end.

A scenario is one concrete problem of a kind (a double charge is one billing scenario, a missing
discount another). Each has customer openings in two disjoint phrasing sets (A trains, B is held
out), and outcomes: what the agent says when it ends that way, the sentence the reference summary
uses for it, and the actions it takes (what the faithfulness check looks for).

Slots, filled per conversation: {product} {other_product} {order} {days} {amount} {points}
{balance} {code} {percent} {address} {weight} {actual} {date} {hours} {style} {team}.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One way a scenario ends: the agent's words (per phrasing set), the summary's sentence."""

    agent: dict[str, tuple[str, ...]]
    summary: str
    actions: tuple[str, ...] = ()
    resolved: bool = True


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One concrete problem: what the summary says it was, how customers raise it, its endings."""

    issue: str
    openings: dict[str, tuple[str, ...]]
    outcomes: dict[str, Outcome]
    # Whether the agent needs the order number before acting.
    needs_order: bool = True


def _o(a: tuple[str, ...], b: tuple[str, ...], summary: str, *actions: str) -> Outcome:
    return Outcome({"A": a, "B": b}, summary, tuple(actions))


SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "order_status": (
        Scenario(
            "asked where order {order} with the {product} was",
            {
                "A": (
                    "Hi, I ordered the {product} and have not heard anything since.",
                    "where is my order?? it's been ages",
                    "Can you tell me the status of my {product} order?",
                ),
                "B": (
                    "Good evening, my {product} purchase seems stuck somewhere.",
                    "is the {product} on its way yet",
                ),
            },
            {
                "tracking": _o(
                    (
                        "It left our warehouse yesterday; it should reach you in {days} days. "
                        "I've emailed you the tracking link.",
                    ),
                    (
                        "Your parcel is with the courier and due in {days} days; the tracking "
                        "link is in your inbox now.",
                    ),
                    "The agent shared the tracking link; it is due in {days} days.",
                    "tracking",
                ),
                "expedite": _o(
                    (
                        "It was held up at our warehouse, sorry. I've upgraded it to express "
                        "delivery at no cost.",
                    ),
                    ("We were slow packing it. To make up for it, express shipping is on us.",),
                    "It had been held up, so the agent upgraded it to free express delivery.",
                    "upgrade",
                ),
            },
        ),
    ),
    "delivery": (
        Scenario(
            "said order {order} with the {product} shows as delivered but never arrived",
            {
                "A": (
                    "The courier says my {product} was delivered, but nothing reached me.",
                    "tracking says delivered but theres no parcel here",
                ),
                "B": (
                    "My parcel seems to have ended up with a neighbour, not with me.",
                    "I was home all day and no {product} came, yet it's marked delivered.",
                ),
            },
            {
                "redeliver": _o(
                    (
                        "I've opened a trace with the courier and I'm reshipping the {product} "
                        "today; expect it within {days} days.",
                    ),
                    (
                        "We'll send another one straight away, arriving in {days} days, and "
                        "chase the courier about the first.",
                    ),
                    "The agent reshipped it, due within {days} days, and traced the lost parcel.",
                    "redelivery",
                ),
                "refund": _o(
                    (
                        "The courier confirmed they lost it. I've refunded the full {amount} "
                        "to your card.",
                    ),
                    ("Our courier admits the parcel is lost, so the {amount} is refunded today.",),
                    "The courier confirmed the loss and the agent refunded {amount}.",
                    "refund",
                ),
            },
        ),
        Scenario(
            "said order {order} went to the wrong address",
            {
                "A": ("My order went to my old address, not the new one.",),
                "B": ("the parcel got sent to the address I moved out of",),
            },
            {
                "redirect": _o(
                    (
                        "I've asked the courier to redirect it; it will reach your new address "
                        "in {days} days.",
                    ),
                    ("The courier can still reroute it, so it should be with you in {days} days.",),
                    "The agent had the courier redirect it; it arrives in {days} days.",
                    "redirect",
                ),
            },
        ),
    ),
    "defect": (
        Scenario(
            "reported that the {product} from order {order} arrived damaged",
            {
                "A": (
                    "The {product} I received has a chip in the edge.",
                    "my {product} arrived with a cracked guard",
                    "Unpacked my {product} today and it is not in one piece.",
                ),
                "B": (
                    "Something is wrong with my new {product}: the steel has a fault.",
                    "the box was crushed and the {product} inside is bent",
                ),
            },
            {
                "replacement": _o(
                    ("I'm sorry. I've sent a free replacement {product}; it ships today.",),
                    (
                        "That should never happen. A replacement {product} is on its way at no "
                        "cost.",
                    ),
                    "The agent sent a free replacement.",
                    "replacement",
                ),
                "refund": _o(
                    ("I've issued a full refund of {amount}; no need to send it back.",),
                    ("You'll get a refund of all {amount}, and you can keep the damaged one.",),
                    "The agent refunded the full {amount}.",
                    "refund",
                ),
                "repair": _o(
                    (
                        "Our smith can fix it: I've emailed a prepaid label and it will be back "
                        "with you within {days} days, free of charge.",
                    ),
                    (
                        "Send it to our forge with the free label I've sent; it comes back "
                        "repaired in {days} days.",
                    ),
                    "The agent arranged a free repair with a prepaid label, back within {days} "
                    "days.",
                    "repair",
                ),
            },
        ),
        Scenario(
            "reported that the {product} did not match its listing",
            {
                "A": (
                    "The {product} is listed at {weight} but mine weighs {actual}.",
                    "the {product} is way lighter than it says, {actual} instead of {weight}",
                ),
                "B": ("I weighed the {product}: {actual}, not the {weight} on the page.",),
            },
            {
                "replacement": _o(
                    (
                        "That's outside our tolerance. I'm sending a replacement from another "
                        "batch.",
                    ),
                    (
                        "That batch was off, sorry. A replacement from a checked batch is on its "
                        "way.",
                    ),
                    "The agent sent a replacement from another batch.",
                    "replacement",
                ),
                "credit": _o(
                    ("I've added {amount} of store credit to your account for the trouble.",),
                    ("As an apology there is now {amount} in store credit on your account.",),
                    "The agent added {amount} of store credit.",
                    "credit",
                ),
            },
        ),
    ),
    "returns": (
        Scenario(
            "wanted to return the {product} from order {order}",
            {
                "A": (
                    "I'd like to return the {product}.",
                    "how do i send back the {product}",
                    "The {product} doesn't suit my breathing style, can I return it?",
                ),
                "B": (
                    "Changed my mind about the {product}. Can it go back?",
                    "the {product} is not for me after all, can it go back",
                ),
            },
            {
                "refund": _o(
                    (
                        "I've emailed you a return label. Once it arrives we refund {amount} "
                        "within {days} days.",
                    ),
                    (
                        "Here's a free return label; your {amount} is refunded within {days} "
                        "days of us receiving it.",
                    ),
                    "The agent sent a return label; {amount} is refunded within {days} days "
                    "of the return.",
                    "return label",
                    "refund",
                ),
                "store_credit": _o(
                    (
                        "I can take it back for store credit: {amount} goes on your account "
                        "when it arrives.",
                    ),
                    ("Send it back and we'll put {amount} of credit on your account.",),
                    "The agent accepted the return for {amount} of store credit.",
                    "return label",
                    "credit",
                ),
            },
        ),
    ),
    "billing": (
        Scenario(
            "was charged twice for order {order}",
            {
                "A": (
                    "I was charged twice for the same order.",
                    "my card shows two payments of {amount} for one order",
                ),
                "B": ("Why did {amount} leave my account twice?",),
            },
            {
                "refund": _o(
                    (
                        "You're right, the payment went through twice. I've refunded the extra "
                        "{amount}; it shows in {days} days.",
                    ),
                    (
                        "One of the two charges was a duplicate and is refunded; {amount} is back "
                        "on your card within {days} days.",
                    ),
                    "The agent refunded the duplicate charge of {amount}, due within {days} days.",
                    "refund",
                ),
            },
        ),
        Scenario(
            "could not use discount code {code} on order {order}",
            {
                "A": (
                    "The code {code} isn't working at checkout.",
                    "tried {code} and it says invalid??",
                ),
                "B": ("Your site rejects my discount code {code}.",),
            },
            {
                "discount": _o(
                    (
                        "The code had a glitch. I've applied the {percent}% discount by hand, "
                        "so {amount} is refunded to you.",
                    ),
                    ("I've taken {percent}% off manually; the {amount} difference is refunded.",),
                    "The agent applied the {percent}% discount manually and refunded {amount}.",
                    "discount",
                    "refund",
                ),
            },
        ),
        Scenario(
            "asked for an invoice for order {order}",
            {
                "A": ("Can I get an invoice for my order? I need it for my corps expenses.",),
                "B": ("i need a receipt with tax for the {product}",),
            },
            {
                "invoice": _o(
                    ("Of course, the invoice is in your inbox now.",),
                    ("I've emailed the invoice to the address on your account.",),
                    "The agent emailed the invoice.",
                    "invoice",
                ),
            },
        ),
    ),
    "account": (
        Scenario(
            "was missing loyalty points after order {order}",
            {
                "A": (
                    "My points didn't go up after my last order.",
                    "where are my nichirin points from the {product}",
                ),
                "B": (
                    "I should have earned points for my last purchase but the balance is the same.",
                ),
            },
            {
                "points": _o(
                    ("I've added the {points} points by hand; your balance is now {balance}.",),
                    (
                        "There was a sync problem. {points} points are added, so you're on "
                        "{balance}.",
                    ),
                    "The agent added the missing {points} points by hand; the balance is "
                    "{balance}.",
                    "points",
                ),
            },
        ),
        Scenario(
            "could not sign in to their account",
            {
                "A": (
                    "I can't log into my account, it says wrong password.",
                    "locked out of my account again",
                ),
                "B": ("The sign-in page keeps rejecting me.",),
            },
            {
                "reset": _o(
                    ("I've sent a password reset link to your email; it works for {hours} hours.",),
                    ("Check your inbox: there's a reset link, valid for {hours} hours.",),
                    "The agent sent a password reset link, valid for {hours} hours.",
                    "reset link",
                ),
            },
            needs_order=False,
        ),
    ),
    "order_change": (
        Scenario(
            "wanted to change the delivery address of order {order}",
            {
                "A": (
                    "I put the wrong address on my order, can you fix it?",
                    "typo in my address on the last order",
                ),
                "B": ("Can the {product} go to {address} instead?",),
            },
            {
                "address": _o(
                    ("It hasn't shipped yet, so I've changed the address to {address}.",),
                    ("Updated: the parcel will go to {address}.",),
                    "It had not shipped, so the agent changed the address to {address}.",
                    "address change",
                ),
            },
        ),
        Scenario(
            "wanted to cancel order {order}",
            {
                "A": ("Please cancel my order, I ordered by mistake.", "can i still cancel?"),
                "B": ("I no longer need the {product}. Cancel it please.",),
            },
            {
                "cancelled": _o(
                    ("Done, the order is cancelled and {amount} is refunded within {days} days.",),
                    (
                        "It was still in the warehouse, so it's cancelled; the {amount} refund "
                        "lands within {days} days.",
                    ),
                    "The agent cancelled the order before it shipped; {amount} is refunded "
                    "within {days} days.",
                    "cancel",
                    "refund",
                ),
                "too_late": _o(
                    (
                        "It has already shipped, so I can't cancel it, but you can return it "
                        "for free; I've emailed a return label.",
                    ),
                    (
                        "Too late to stop it, sorry, it's with the courier. A return label is "
                        "in your inbox for when it arrives.",
                    ),
                    "It had already shipped, so instead of cancelling the agent sent a return "
                    "label.",
                    "return label",
                ),
            },
        ),
        Scenario(
            "wanted order {order} sent as a gift",
            {
                "A": ("It's a present, can you gift wrap my order?", "can you wrap it as a gift"),
                "B": ("I'd like the {product} packed as a gift, with no price inside.",),
            },
            {
                "gift_wrap": _o(
                    (
                        "It's not packed yet, so I've added gift wrap and taken the invoice out "
                        "of the box.",
                    ),
                    (
                        "Sure, gift wrap is added at no charge and there'll be no prices in the "
                        "parcel.",
                    ),
                    "The agent added free gift wrap before it was packed.",
                    "gift wrap",
                ),
            },
        ),
        Scenario(
            "wanted the {product} in order {order} changed to the {style} version",
            {
                "A": ("I picked the wrong style, I wanted {style}. Can you swap it?",),
                "B": ("could you change my order to the {style} one",),
            },
            {
                "swapped": _o(
                    ("Swapped: you'll get the {style} version instead, same price.",),
                    ("I've swapped the item for the {style} one; nothing extra to pay.",),
                    "The agent swapped it for the {style} version at the same price.",
                    "swap",
                ),
            },
        ),
    ),
    "product_question": (
        Scenario(
            "asked when the {product} would be back in stock",
            {
                "A": (
                    "When will the {product} be available again?",
                    "is the {product} coming back in stock",
                ),
                "B": ("The {product} has been sold out for ages. Any news?",),
            },
            {
                "restock": _o(
                    ("A new batch arrives on the {date}. I've added you to the waiting list.",),
                    ("We expect it on the {date}; you're on the waiting list for an email.",),
                    "The agent said the next batch arrives on the {date} and added them to the "
                    "waiting list.",
                    "waiting list",
                ),
            },
            needs_order=False,
        ),
        Scenario(
            "asked how the {product} compares with the {other_product}",
            {
                "A": ("What's the difference between the {product} and the {other_product}?",),
                "B": ("{product} or {other_product}, which should I get?",),
            },
            {
                "advice": _o(
                    (
                        "The {product} weighs {weight} and suits fast styles; the "
                        "{other_product} is heavier and hits harder.",
                    ),
                    (
                        "At {weight} the {product} is the lighter one; pick the "
                        "{other_product} if you want more power.",
                    ),
                    "The agent explained that the {product} is the lighter one at {weight}.",
                ),
            },
            needs_order=False,
        ),
    ),
    "care": (
        Scenario(
            "asked how to look after the {product}",
            {
                "A": (
                    "How should I look after my {product}?",
                    "whats the right way to clean the {product}",
                ),
                "B": ("My {product} is losing its shine. What routine do you suggest?",),
            },
            {
                "routine": _o(
                    (
                        "Wipe it dry after use, oil it every {days} days and store it in its "
                        "scabbard.",
                    ),
                    ("Dry it, a thin coat of oil every {days} days, and keep it sheathed.",),
                    "The agent explained the care routine: wipe, oil every {days} days, store "
                    "sheathed.",
                ),
                "upsell": _o(
                    ("Keep it dry and oiled; our sword oil and a whetstone are all you need.",),
                    ("A bottle of sword oil and a whetstone will keep it like new.",),
                    "The agent explained care and recommended sword oil and a whetstone.",
                    "recommendation",
                ),
            },
            needs_order=False,
        ),
    ),
    "sizing": (
        Scenario(
            "asked whether the {product} suits their height and grip",
            {
                "A": (
                    "Is the {product} too long for someone my height?",
                    "not sure the grip of the {product} fits small hands",
                ),
                "B": ("Will the {product} suit a shorter slayer?",),
            },
            {
                "info": _o(
                    (
                        "It weighs {weight} with a medium grip; most slayers your height manage "
                        "it well.",
                    ),
                    ("At {weight} and with a standard grip it suits most builds.",),
                    "The agent explained its weight ({weight}) and grip.",
                ),
                "exchange": _o(
                    (
                        "If it doesn't fit we exchange it for a shorter size for free within "
                        "{days} days.",
                    ),
                    ("You can swap it for a smaller size at no cost within {days} days.",),
                    "The agent offered a free exchange for a smaller size within {days} days.",
                    "exchange",
                ),
            },
            needs_order=False,
        ),
    ),
}

# How a conversation ends when the agent cannot solve it (any kind).
UNRESOLVED: dict[str, Outcome] = {
    "escalated": Outcome(
        {
            "A": (
                "I can't sort this out from here; I've passed it to our {team} team and "
                "they'll reply within {days} days.",
            ),
            "B": (
                "This needs our {team} team. I've escalated it; expect an answer in {days} days.",
            ),
        },
        "The agent escalated it to the {team} team, who will reply within {days} days; it is "
        "not resolved yet.",
        ("escalation",),
        resolved=False,
    ),
    "no_solution": Outcome(
        {
            "A": ("I'm afraid there's nothing more I can do about that.",),
            "B": ("Sorry, there is no option I can offer for that.",),
        },
        "The agent could not offer a solution.",
        (),
        resolved=False,
    ),
}
TEAMS = ("logistics", "billing", "forge", "accounts")
