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


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(0, len(options)))]
