"""Support scenarios about products and accounts: defects, questions, care, sizing, sign-in."""

from __future__ import annotations

from hashira_assets.raw.support_scenario_types import Scenario
from hashira_assets.raw.support_scenario_types import outcome as _o

PRODUCT_SCENARIOS: dict[str, tuple[Scenario, ...]] = {
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
