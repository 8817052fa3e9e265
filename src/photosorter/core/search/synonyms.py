"""Words people type for a label under another name: ``puppy`` finds Dog, ``seaside`` finds Beach.

Labels keep Rekognition's names (the shared vocabulary of both backends), so the other words live here,
on the query side: a bare word or a ``label:`` value also searches the labels it stands for. Only words
that mean the label and little else are listed (not ``bill``, which is also a name).
"""

from __future__ import annotations

from photosorter.core.catalog.search_words import tokens, variants

TYPED: dict[str, tuple[str, ...]] = {
    "puppy": ("dog",), "doggy": ("dog",), "pooch": ("dog",), "hound": ("dog",),
    "kitten": ("cat",), "kitty": ("cat",),
    "automobile": ("car",), "lorry": ("truck",), "motorbike": ("motorcycle",), "bike": ("bicycle",),
    "airplane": ("aircraft",), "aeroplane": ("aircraft",), "plane": ("aircraft",), "ship": ("boat",),
    "seaside": ("beach",), "seashore": ("beach",), "ocean": ("sea",),
    "kid": ("child",), "toddler": ("child",), "infant": ("baby",), "newborn": ("baby",),
    "selfie": ("portrait",), "headshot": ("portrait",),
    "drink": ("beverage",),
    "smartphone": ("phone",), "cellphone": ("phone",), "laptop": ("computer",),
    "signpost": ("sign",), "signboard": ("sign",), "invoice": ("receipt",),
    "numberplate": ("license plate",), "licence": ("license",),
    "monochrome": ("black and white",), "grayscale": ("black and white",), "greyscale": ("black and white",),
    "inside": ("indoors",), "outside": ("outdoors",),
    "necktie": ("tie",), "tuxedo": ("suit",), "blossom": ("flower",),
    "marketplace": ("market",), "bazaar": ("market",), "store": ("shop",), "avenue": ("street",),
    "downtown": ("city",), "village": ("town",), "cottage": ("house",),
    "pasture": ("field",), "meadow": ("field",), "lawn": ("grass",), "foliage": ("leaf",),
    # plurals the -s/-es/-ies rule cannot undo (it turns "leaves" into "leave")
    "leaves": ("leaf",), "shelves": ("shelf",), "wolves": ("wolf",), "knives": ("knife",),
    "children": ("child",), "geese": ("goose",),
}  # fmt: skip


def synonyms_of(value: str) -> tuple[str, ...]:
    """The label words a typed single word stands for (none for phrases and unknown words)."""
    found = tokens(value)
    if len(found) != 1:
        return ()
    for form in variants(found[0]):  # "puppies" → "puppy"
        if form in TYPED:
            return TYPED[form]
    return ()
