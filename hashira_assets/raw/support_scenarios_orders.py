"""Support scenarios about orders and money: status, delivery, returns, billing, changes."""

from __future__ import annotations

from hashira_assets.raw.support_scenario_types import Scenario
from hashira_assets.raw.support_scenario_types import outcome as _o

ORDER_SCENARIOS: dict[str, tuple[Scenario, ...]] = {
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
}
