"""Generated text: product descriptions, product FAQs and support conversations.

Support conversations are written in two phrasing sets: "A" for training and "B", whose wording no
"A" template uses, so that summarizers can be scored on phrasings they never saw. The reference
summary is built from the conversation's facts (issue, product, resolution), never from its wording.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hashira_assets.raw import vocabulary as voc
from hashira_assets.raw.entities import Products

_RARITY_LINES = {
    "common": [
        "A dependable piece for everyday patrols.",
        "Made in the Corps' standard forge for reliable daily use.",
    ],
    "rare": [
        "Forged in small batches by a master smith.",
        "Only a handful leave the forge each season.",
    ],
    "epic": [
        "Its steel is folded from scarlet crimson iron sand and ore.",
        "Smiths spend weeks on every piece of this line.",
    ],
    "legendary": [
        "A one-of-a-kind work said to have been blessed at the Ubuyashiki estate.",
        "Legend says blades of this line once served a Hashira.",
    ],
}
_CATEGORY_LINES = {
    "weapon": [
        "The balance point sits close to the guard, so cuts recover quickly.",
        "Its edge holds through long nights of fighting without dulling.",
        "The grip is wrapped in ray skin and silk for a sure hold in the rain.",
    ],
    "accessory": [
        "It pairs with any Nichirin blade in the catalog.",
        "Slayers keep one in their kit for missions far from the Butterfly Mansion.",
        "It is light enough to carry on long marches between assignments.",
    ],
}
_CARE_LINES = [
    "Wipe it dry after use and oil it once a week.",
    "Store it away from damp and sharpen it with a fine whetstone.",
    "Keep it in its cloth between missions to protect the finish.",
]


def product_descriptions(products: Products, rng: np.random.Generator) -> list[str]:
    """A multi-sentence description of every product from its attributes."""
    out = []
    for i in range(len(products)):
        ptype = voc.PRODUCT_TYPES[products.type_idx[i]]
        style = voc.BREATHING_STYLES[products.style[i]]
        rarity = voc.RARITIES[products.rarity[i]]
        article = "an" if rarity[0] in "aeiou" else "a"
        sentences = [
            f"The {products.name[i]} is {article} {rarity} {ptype.label.lower()} made for "
            f"{style} Breathing users.",
            f"It weighs {products.weight_kg[i]:.2f} kg"
            + (
                f" and has a sharpness rating of {products.sharpness[i]} out of 100."
                if ptype.category == "weapon"
                else "."
            ),
            _pick(rng, _RARITY_LINES[rarity]),
            _pick(rng, _CATEGORY_LINES[ptype.category]),
            _pick(rng, _CARE_LINES),
        ]
        out.append(" ".join(sentences))
    return out


def product_faqs(products: Products) -> pa.Table:
    """Three questions and answers per product, from its attributes."""
    ids, questions, answers = [], [], []
    for i in range(len(products)):
        ptype = voc.PRODUCT_TYPES[products.type_idx[i]]
        style = voc.BREATHING_STYLES[products.style[i]]
        name = products.name[i]
        weight = float(products.weight_kg[i])
        heft = "light" if weight < 1.0 else "medium-weight" if weight < 3.0 else "heavy"
        faq = [
            (
                f"How heavy is the {name}?",
                f"The {name} weighs {weight:.2f} kg, which makes it {heft} for a "
                f"{ptype.label.lower()}.",
            ),
            (
                f"Which breathing style is the {name} made for?",
                f"It is tuned for {style} Breathing, though any slayer can train with it.",
            ),
            (
                f"How do I care for the {name}?",
                "Wipe it clean after each mission, keep it dry and oil metal parts weekly."
                if not ptype.consumable
                else "Keep it sealed and dry; one pack lasts about a month of regular use.",
            ),
        ]
        for question, answer in faq:
            ids.append(i)
            questions.append(question)
            answers.append(answer)
    n = len(ids)
    return pa.table(
        {
            "faq_id": pa.array(np.arange(n, dtype=np.int32)),
            "product_id": pa.array(np.array(ids, dtype=np.int32)),
            "question": questions,
            "answer": answers,
        }
    )


# Each topic: facts (issue text for the summary, resolutions) and two phrasing sets of turns.
# Placeholders: {name} customer first name, {product}, {order}, {days}.
SUPPORT_TOPICS: dict[str, dict] = {
    "order_status": {
        "issue": "asked where order {order} for the {product} was",
        "resolutions": {
            "info": "the agent confirmed it ships within {days} days and shared tracking",
            "expedite": "the agent upgraded the order to express delivery at no cost",
        },
        "A": {
            "open": [
                "Hi, I ordered the {product} (order {order}) and have not heard anything since.",
                "Hello, can you tell me the status of order {order}? It's the {product}.",
            ],
            "detail": ["I need it before my next mission.", "It has been a while since I paid."],
        },
        "B": {
            "open": [
                "Good evening. My {product} purchase, reference {order}, seems stuck somewhere.",
                "Quick question about {order}: is the {product} on its way yet?",
            ],
            "detail": ["My crow keeps asking when it arrives.", "I leave for the mountains soon."],
        },
    },
    "defect": {
        "issue": "reported that the {product} from order {order} arrived damaged",
        "resolutions": {
            "replacement": "the agent sent a free replacement {product}",
            "refund": "the agent issued a full refund for order {order}",
        },
        "A": {
            "open": [
                "The {product} I received (order {order}) has a chip in the edge.",
                "My {product} arrived with a cracked guard. Order {order}.",
            ],
            "detail": ["I have photos of the damage.", "It happened before I even used it."],
        },
        "B": {
            "open": [
                "Unpacked order {order} today and the {product} is not in one piece.",
                "Something is wrong with my new {product}: the steel has a fault. Ref {order}.",
            ],
            "detail": ["The box looked crushed too.", "I cannot take it into battle like this."],
        },
    },
    "sizing": {
        "issue": "asked whether the {product} suits their build and grip",
        "resolutions": {
            "info": "the agent explained the {product}'s weight and grip length",
            "exchange": "the agent arranged an exchange for a better-fitting size",
        },
        "A": {
            "open": [
                "Is the {product} too long for someone of my height?",
                "I'm not sure the grip of the {product} fits my hands. Can you help?",
            ],
            "detail": ["I'm on the smaller side.", "My current blade feels too heavy."],
        },
        "B": {
            "open": [
                "Before I commit to the {product}, will its length suit a shorter slayer?",
                "The {product} feels awkward in my grip; what are my options?",
            ],
            "detail": ["My teacher says I overreach.", "My wrists tire quickly."],
        },
    },
    "delivery": {
        "issue": "said order {order} with the {product} was delivered to the wrong address",
        "resolutions": {
            "redeliver": "the agent arranged a redelivery within {days} days",
            "refund": "the agent refunded order {order} after the courier confirmed the loss",
        },
        "A": {
            "open": [
                "The courier says order {order} was delivered, but the {product} never reached me.",
                "Order {order} went to the wrong village. I still don't have my {product}.",
            ],
            "detail": ["I was home all day.", "The address on my account is correct."],
        },
        "B": {
            "open": [
                "Tracking for {order} claims delivered, yet no {product} here.",
                "My parcel {order} seems to have ended up with a neighbour, not with me.",
            ],
            "detail": ["Nobody nearby has seen it.", "I double-checked my profile address."],
        },
    },
    "returns": {
        "issue": "wanted to return the {product} from order {order}",
        "resolutions": {
            "refund": "the agent approved the return and a refund for order {order}",
            "store_credit": "the agent approved the return for store credit",
        },
        "A": {
            "open": [
                "I'd like to return the {product} from order {order}.",
                "How do I send back the {product}? Order {order}.",
            ],
            "detail": ["It doesn't suit my breathing style.", "I bought the wrong one."],
        },
        "B": {
            "open": [
                "The {product} (order {order}) is not for me after all; can it go back?",
                "Changed my mind about the {product}. Reference {order}.",
            ],
            "detail": ["My master gave me another blade.", "It clashes with my technique."],
        },
    },
    "care": {
        "issue": "asked how to maintain the {product}",
        "resolutions": {
            "info": "the agent explained cleaning, oiling and storage for the {product}",
            "upsell": "the agent explained care and recommended sword oil and a whetstone",
        },
        "A": {
            "open": [
                "How should I look after my {product}?",
                "What's the right way to clean the {product}?",
            ],
            "detail": ["I fight in the rain a lot.", "I don't want it to rust."],
        },
        "B": {
            "open": [
                "Any maintenance tips for keeping a {product} in top shape?",
                "My {product} is losing its shine; what routine do you suggest?",
            ],
            "detail": ["Humidity is high where I patrol.", "I noticed spots on the metal."],
        },
    },
}
_AGENT_ASK = {
    "A": [
        "Thanks for reaching out, {name}. Could you tell me a bit more?",
        "I'm sorry to hear that, {name}. Can you give me more details?",
    ],
    "B": [
        "Understood, {name}. What else should I know?",
        "Let me look into it, {name}. Anything to add?",
    ],
}
_AGENT_RESOLVE = {
    "A": ["I have checked your account: {resolution}.", "Here is what I can do: {resolution}."],
    "B": ["Good news: {resolution}.", "All sorted on my side: {resolution}."],
}  # fmt: skip
_CLOSINGS = {
    "positive": ["Thank you so much, that's perfect!", "Great, much appreciated!"],
    "neutral": ["Okay, thanks.", "Alright, noted."],
    "negative": ["Fine, but this took far too long.", "I'm still unhappy about this."],
}
_SENTIMENT_SHARES = {"positive": 0.5, "neutral": 0.3, "negative": 0.2}
_FOLLOW_UP = {
    "info": "none",
    "expedite": "confirm express delivery",
    "replacement": "ship replacement and collect damaged item",
    "refund": "confirm refund reaches the customer",
    "exchange": "ship the exchanged size",
    "redeliver": "confirm redelivery",
    "store_credit": "credit account when the item arrives",
    "upsell": "none",
}

SUPPORT_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.int32()),
        ("customer_id", pa.int32()),
        ("product_id", pa.int32()),
        ("started_at", pa.timestamp("ms")),
        ("issue_category", pa.string()),
        ("resolution_type", pa.string()),
        ("sentiment", pa.string()),
        ("phrasing_set", pa.string()),
        ("turns", pa.list_(pa.struct([("speaker", pa.string()), ("text", pa.string())]))),
        ("transcript", pa.string()),
        ("reference_summary", pa.string()),
    ]
)


def support_conversations(
    n: int,
    customer_names: list[str],
    customer_signup: np.ndarray,
    products: Products,
    n_days: int,
    start: np.datetime64,
    rng: np.random.Generator,
    heldout_share: float = 0.2,
) -> pa.Table:
    """Multi-turn customer/agent dialogues, each with a reference summary of issue and outcome."""
    topics = list(SUPPORT_TOPICS)
    rows: dict[str, list] = {name: [] for name in SUPPORT_SCHEMA.names}
    popularity = np.exp(products.log_popularity.astype(np.float64))
    popularity /= popularity.sum()
    sentiments, shares = zip(*_SENTIMENT_SHARES.items(), strict=True)
    for i in range(n):
        customer = int(rng.integers(0, len(customer_names)))
        product = int(rng.choice(len(products), p=popularity))
        first_day = max(int(customer_signup[customer]), int(products.launch_day[product]), 0)
        day = int(rng.integers(min(first_day, n_days - 1), n_days))
        topic = topics[int(rng.integers(0, len(topics)))]
        spec = SUPPORT_TOPICS[topic]
        resolution = list(spec["resolutions"])[int(rng.integers(0, len(spec["resolutions"])))]
        sentiment = sentiments[int(rng.choice(len(sentiments), p=shares))]
        phrasing = "B" if rng.random() < heldout_share else "A"
        slots = {
            "name": customer_names[customer].split()[0],
            "product": products.name[product],
            "order": f"HM-{int(rng.integers(100000, 999999))}",
            "days": int(rng.integers(2, 8)),
        }
        resolution_text = spec["resolutions"][resolution].format(**slots)
        turns = [
            ("customer", _pick(rng, spec[phrasing]["open"]).format(**slots)),
            ("agent", _pick(rng, _AGENT_ASK[phrasing]).format(**slots)),
            ("customer", _pick(rng, spec[phrasing]["detail"]).format(**slots)),
            ("agent", _pick(rng, _AGENT_RESOLVE[phrasing]).format(resolution=resolution_text)),
            ("customer", _pick(rng, _CLOSINGS[sentiment])),
        ]
        summary = (
            f"Issue: the customer {spec['issue'].format(**slots)}. "
            f"Resolution: {resolution_text}. "
            f"Follow-up: {_FOLLOW_UP[resolution]}."
        )
        ms = int(rng.integers(8 * 3_600_000, 22 * 3_600_000))
        rows["conversation_id"].append(i)
        rows["customer_id"].append(customer)
        rows["product_id"].append(product)
        rows["started_at"].append(
            (start + np.timedelta64(day, "D")).astype("datetime64[ms]") + np.timedelta64(ms, "ms")
        )
        rows["issue_category"].append(topic)
        rows["resolution_type"].append(resolution)
        rows["sentiment"].append(sentiment)
        rows["phrasing_set"].append(phrasing)
        rows["turns"].append([{"speaker": s, "text": t} for s, t in turns])
        rows["transcript"].append("\n".join(f"{s.title()}: {t}" for s, t in turns))
        rows["reference_summary"].append(summary)
    return pa.table(rows, schema=SUPPORT_SCHEMA)


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(0, len(options)))]
