"""Writes ``imagenet_labels.json``: the 1000 ImageNet classes as Rekognition-style labels.

Run ``python tools/make_label_map.py`` after editing
the rules below; the JSON is committed, so the app never runs this.

ImageNet's classes are ordered like WordNet, so most animals map by index range
(all dog breeds are 151-268). Objects map by name. A class no rule covers keeps
its own name, title-cased, in "Everyday Objects".
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src" / "photosorter" / "core" / "analysis" / "local"
CLASSES_CSV = HERE / "imagenet_classes.csv"
OUTPUT = HERE / "imagenet_labels.json"
MAP_VERSION = "map4"

ANIMALS = "Animals and Pets"
NATURE = "Nature and Outdoors"
FOOD = "Food and Beverage"
VEHICLES = "Vehicles and Automotive"
TECH = "Technology and Computing"
HOME = "Home and Indoors"
APPAREL = "Apparel and Accessories"
SPORTS = "Sports"
BUILDINGS = "Buildings and Architecture"
PERSON = "Person Description"
TEXT = "Text and Documents"
OBJECTS = "Everyday Objects"
PLANTS = "Plants and Flowers"
HOBBIES = "Hobbies and Interests"
TOOLS = "Tools and Machinery"

# label: (direct parents, categories). Ancestors are followed transitively.
TAXONOMY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Animal": ((), (ANIMALS,)),
    "Mammal": (("Animal",), (ANIMALS,)),
    "Pet": (("Animal",), (ANIMALS,)),
    "Wildlife": (("Animal",), (ANIMALS,)),
    "Sea Life": (("Animal",), (ANIMALS,)),
    "Invertebrate": (("Animal",), (ANIMALS,)),
    "Bird": (("Animal",), (ANIMALS,)),
    "Fish": (("Animal", "Sea Life"), (ANIMALS,)),
    "Reptile": (("Animal",), (ANIMALS,)),
    "Amphibian": (("Animal",), (ANIMALS,)),
    "Insect": (("Invertebrate",), (ANIMALS,)),
    "Dog": (("Canine", "Pet", "Mammal"), (ANIMALS,)),
    "Canine": (("Mammal",), (ANIMALS,)),
    "Cat": (("Pet", "Mammal"), (ANIMALS,)),
    "Horse": (("Mammal",), (ANIMALS,)),
    "Rodent": (("Mammal",), (ANIMALS,)),
    "Primate": (("Mammal", "Wildlife"), (ANIMALS,)),
    "Livestock": (("Mammal",), (ANIMALS,)),
    "Vehicle": (("Transportation",), (VEHICLES,)),
    "Transportation": ((), (VEHICLES,)),
    "Car": (("Vehicle",), (VEHICLES,)),
    "Truck": (("Vehicle",), (VEHICLES,)),
    "Boat": (("Vehicle",), (VEHICLES,)),
    "Aircraft": (("Vehicle",), (VEHICLES,)),
    "Train": (("Vehicle",), (VEHICLES,)),
    "Bicycle": (("Vehicle",), (VEHICLES,)),
    "Motorcycle": (("Vehicle",), (VEHICLES,)),
    "Building": (("Architecture",), (BUILDINGS,)),
    "Architecture": ((), (BUILDINGS,)),
    "Bridge": (("Architecture", "Outdoors"), (BUILDINGS,)),
    # a setting, not a kind of nature: a street is outdoors and not nature (Rekognition keeps them apart)
    "Outdoors": ((), (NATURE,)),
    "Nature": ((), (NATURE,)),
    "Landscape": (("Nature", "Outdoors"), (NATURE,)),
    "Water": (("Nature", "Outdoors"), (NATURE,)),
    "Food": ((), (FOOD,)),
    "Beverage": ((), (FOOD,)),
    "Fruit": (("Food", "Plant"), (FOOD,)),
    "Vegetable": (("Food", "Plant"), (FOOD,)),
    "Plant": ((), (PLANTS,)),
    "Flower": (("Plant",), (PLANTS,)),
    "Clothing": ((), (APPAREL,)),
    "Accessories": ((), (APPAREL,)),
    "Electronics": ((), (TECH,)),
    "Computer": (("Electronics",), (TECH,)),
    "Furniture": (("Indoors",), (HOME,)),
    "Indoors": ((), (HOME,)),
    "Musical Instrument": ((), (HOBBIES,)),
    "Sport": ((), (SPORTS,)),
    "Ball": (("Sport",), (SPORTS,)),
    "Tool": ((), (TOOLS,)),
    "Machine": ((), (TOOLS,)),
    "Weapon": ((), (OBJECTS,)),
    "Container": ((), (OBJECTS,)),
    "Person": ((), (PERSON,)),
    "Text": ((), (TEXT,)),
    "Sign": (("Text",), (TEXT,)),
    "Document": (("Text",), (TEXT,)),
}

# Index ranges: (first, last, label, parents of that label when it is new).
# fmt: off
RANGES: tuple[tuple[int, int, str, tuple[str, ...]], ...] = (
    (0, 1, "Fish", ()),
    (2, 4, "Shark", ("Fish",)),
    (5, 6, "Fish", ()),
    (7, 8, "Chicken", ("Bird", "Livestock")),
    (9, 21, "Bird", ()),
    (22, 22, "Eagle", ("Bird",)),
    (23, 23, "Bird", ()),
    (24, 24, "Owl", ("Bird",)),
    (25, 29, "Amphibian", ()),
    (30, 32, "Frog", ("Amphibian",)),
    (33, 37, "Turtle", ("Reptile",)),
    (38, 48, "Lizard", ("Reptile",)),
    (49, 50, "Crocodile", ("Reptile",)),
    (51, 51, "Dinosaur", ("Reptile",)),
    (52, 68, "Snake", ("Reptile",)),
    (69, 69, "Invertebrate", ()),
    (70, 77, "Spider", ("Invertebrate",)),
    (78, 78, "Insect", ()),
    (79, 79, "Invertebrate", ()),
    (80, 86, "Bird", ()),
    (87, 90, "Parrot", ("Bird",)),
    (91, 96, "Bird", ()),
    (97, 98, "Duck", ("Bird",)),
    (99, 99, "Goose", ("Bird",)),
    (100, 100, "Swan", ("Bird",)),
    (101, 101, "Elephant", ("Mammal", "Wildlife")),
    (102, 106, "Mammal", ()),
    (107, 112, "Sea Life", ()),
    (113, 114, "Snail", ("Invertebrate",)),
    (115, 117, "Sea Life", ()),
    (118, 121, "Crab", ("Sea Life", "Food")),
    (122, 124, "Lobster", ("Sea Life", "Food")),
    (125, 126, "Sea Life", ()),
    (127, 144, "Bird", ()),
    (145, 145, "Penguin", ("Bird",)),
    (146, 146, "Bird", ()),
    (147, 148, "Whale", ("Mammal", "Sea Life")),
    (149, 150, "Sea Life", ("Mammal",)),
    (151, 268, "Dog", ()),
    (269, 271, "Wolf", ("Canine", "Wildlife")),
    (272, 276, "Canine", ()),
    (277, 280, "Fox", ("Canine", "Wildlife")),
    (281, 285, "Cat", ()),
    (286, 287, "Wildcat", ("Mammal", "Wildlife")),
    (288, 289, "Leopard", ("Mammal", "Wildlife")),
    (290, 290, "Jaguar", ("Mammal", "Wildlife")),
    (291, 291, "Lion", ("Mammal", "Wildlife")),
    (292, 292, "Tiger", ("Mammal", "Wildlife")),
    (293, 293, "Cheetah", ("Mammal", "Wildlife")),
    (294, 297, "Bear", ("Mammal", "Wildlife")),
    (298, 299, "Mammal", ()),
    (300, 308, "Insect", ()),
    (309, 309, "Bee", ("Insect",)),
    (310, 310, "Ant", ("Insect",)),
    (311, 320, "Insect", ()),
    (321, 326, "Butterfly", ("Insect",)),
    (327, 329, "Sea Life", ()),
    (330, 332, "Rabbit", ("Mammal",)),
    (333, 334, "Rodent", ()),
    (335, 335, "Squirrel", ("Rodent",)),
    (336, 338, "Rodent", ()),
    (339, 339, "Horse", ()),
    (340, 340, "Zebra", ("Mammal", "Wildlife")),
    (341, 343, "Pig", ("Mammal",)),
    (344, 344, "Hippo", ("Mammal", "Wildlife")),
    (345, 347, "Cattle", ("Livestock",)),
    (348, 348, "Sheep", ("Livestock",)),
    (349, 350, "Goat", ("Mammal", "Wildlife")),
    (351, 353, "Antelope", ("Mammal", "Wildlife")),
    (354, 354, "Camel", ("Mammal",)),
    (355, 355, "Llama", ("Mammal",)),
    (356, 364, "Mammal", ()),
    (365, 368, "Ape", ("Primate",)),
    (369, 382, "Monkey", ("Primate",)),
    (383, 384, "Primate", ()),
    (385, 386, "Elephant", ("Mammal", "Wildlife")),
    (387, 387, "Mammal", ()),
    (388, 388, "Panda", ("Bear",)),
    (389, 397, "Fish", ()),
)
# fmt: on

# Objects and scenes by ImageNet name: label -> (parents, category, ImageNet names, comma-separated).
# fmt: off
BY_NAME: dict[str, tuple[tuple[str, ...], str, str]] = {
    "Car": ((), VEHICLES,
        "beach wagon, cab, convertible, jeep, limousine, minivan, Model T, racer, sports car, car "
        "wheel, grille, car mirror"),
    "Truck": ((), VEHICLES,
        "fire engine, garbage truck, pickup, tow truck, trailer truck, moving van, police van"),
    "Bus": (("Vehicle",), VEHICLES, "minibus, school bus, trolleybus"),
    "Train": ((), VEHICLES,
        "bullet train, electric locomotive, freight car, passenger car, steam locomotive, streetcar"),
    "Boat": ((), VEHICLES,
        "aircraft carrier, canoe, catamaran, container ship, fireboat, gondola, lifeboat, liner, "
        "paddlewheel, schooner, speedboat, submarine, trimaran, yawl, wreck"),
    "Aircraft": ((), VEHICLES, "airliner, airship, warplane, wing, space shuttle"),
    "Bicycle": ((), VEHICLES, "bicycle-built-for-two, mountain bike, tricycle, unicycle"),
    "Motorcycle": ((), VEHICLES, "moped, motor scooter"),
    "Vehicle": ((), VEHICLES,
        "ambulance, amphibian, go-kart, golfcart, half track, harvester, horse cart, jinrikisha, "
        "mobile home, oxcart, recreational vehicle, snowmobile, snowplow, tank, tractor, forklift, "
        "dogsled, bobsled, barrow, shopping cart"),
    "Building": ((), BUILDINGS,
        "apiary, barn, boathouse, cinema, greenhouse, library, lumbermill, planetarium, prison, "
        "restaurant, water tower, yurt, cliff dwelling, thatch, tile roof, mobile home"),
    # a shop is what is sold in it (ImageNet's photos are mostly of counters and stalls), not a building:
    # a street market's stalls are "grocery store", WordNet's "grocery store, grocery, food market, market"
    "Shop": ((), BUILDINGS,
        "bakery, barbershop, bookshop, confectionery, shoe shop, tobacco shop, toyshop"),
    "Market": (("Shop",), BUILDINGS, "grocery store, butcher shop"),
    "Church": (("Building",), BUILDINGS, "church, bell cote, monastery, altar"),
    "Castle": (("Building",), BUILDINGS, "castle"),
    "Palace": (("Building",), BUILDINGS, "palace"),
    "Mosque": (("Building",), BUILDINGS, "mosque, dome"),
    "Temple": (("Building",), BUILDINGS, "stupa"),
    "Monument": (("Architecture",), BUILDINGS, "obelisk, triumphal arch, megalith, totem pole"),
    "Bridge": ((), BUILDINGS, "steel arch bridge, suspension bridge, viaduct"),
    "Pier": (("Water",), NATURE, "pier, dock, breakwater"),
    "Fence": (("Outdoors",), BUILDINGS, "chainlink fence, picket fence, worm fence, stone wall"),
    "Fountain": (("Outdoors",), BUILDINGS, "fountain"),
    "Mountain": (("Landscape",), NATURE, "alp, volcano, valley"),
    "Cliff": (("Landscape",), NATURE, "cliff, promontory"),
    "Beach": (("Water",), NATURE, "seashore, sandbar"),
    "Lake": (("Water", "Landscape"), NATURE, "lakeside"),
    "Sea": (("Water",), NATURE, "coral reef"),
    "Geyser": (("Landscape",), NATURE, "geyser"),
    "Flower": ((), PLANTS, "daisy, yellow lady's slipper, rapeseed"),
    "Plant": ((), PLANTS, "buckeye, acorn, hip, corn, hay"),
    "Fungus": (("Plant",), PLANTS,
        "coral fungus, agaric, gyromitra, stinkhorn, earthstar, hen-of-the-woods, bolete, mushroom"),
    "Vegetable": ((), FOOD,
        "head cabbage, broccoli, cauliflower, zucchini, spaghetti squash, acorn squash, butternut "
        "squash, cucumber, artichoke, bell pepper, cardoon, ear"),
    "Fruit": ((), FOOD,
        "Granny Smith, strawberry, orange, lemon, fig, pineapple, banana, jackfruit, custard apple, "
        "pomegranate"),
    "Food": ((), FOOD,
        "guacamole, consomme, hot pot, trifle, ice cream, ice lolly, French loaf, bagel, pretzel, "
        "cheeseburger, hotdog, mashed potato, carbonara, chocolate sauce, dough, meat loaf, potpie, "
        "burrito, plate"),
    "Pizza": (("Food",), FOOD, "pizza"),
    "Coffee": (("Beverage",), FOOD, "coffee mug, espresso maker, coffeepot"),
    # ImageNet's espresso is a served cup of it (its photos are of the cup, not the beans or a machine),
    # so an espresso is a cup too
    "Espresso": (("Coffee", "Cup"), FOOD, "espresso"),
    "Cup": (("Container",), FOOD, "cup"),
    "Alcohol": (("Beverage",), FOOD,
        "red wine, beer bottle, beer glass, wine bottle, whiskey jug, eggnog, cocktail shaker, goblet"),
    "Bottle": (("Container",), OBJECTS, "pop bottle, water bottle, pill bottle, water jug"),
    "Clothing": ((), APPAREL,
        "abaya, academic gown, apron, bib, bikini, brassiere, cardigan, cloak, diaper, fur coat, "
        "gown, hoopskirt, jean, jersey, kimono, lab coat, maillot, tank suit, military uniform, "
        "miniskirt, overskirt, pajama, poncho, sarong, stole, sweatshirt, swimming trunks, trench "
        "coat, vestment, feather boa, bulletproof vest, mitten, sock, Christmas stocking"),
    "Suit": (("Clothing",), APPAREL, "suit"),
    "Tie": (("Accessories",), APPAREL, "Windsor tie, bow tie, bolo tie"),
    "Hat": (("Clothing",), APPAREL,
        "bonnet, cowboy hat, sombrero, shower cap, bathing cap, mortarboard, bearskin, pickelhaube"),
    "Helmet": (("Clothing",), APPAREL, "crash helmet, football helmet"),
    "Shoe": (("Clothing",), APPAREL, "clog, cowboy boot, Loafer, running shoe, sandal"),
    "Accessories": ((), APPAREL,
        "sunglass, sunglasses, necklace, wig, hair slide, purse, wallet, backpack, mailbag, umbrella, "
        "knee pad, ski mask, gasmask, mask, digital watch"),
    "Armor": (("Clothing",), APPAREL, "breastplate, chain mail, cuirass, shield"),
    "Computer": ((), TECH,
        "desktop computer, laptop, notebook, hand-held computer, computer keyboard, typewriter "
        "keyboard, space bar, mouse, monitor, screen, modem, hard disc, printer, photocopier"),
    "Phone": (("Electronics",), TECH, "cellular telephone, dial telephone, pay-phone"),
    "Camera": (("Electronics",), TECH, "reflex camera, Polaroid camera, lens cap, tripod"),
    "Electronics": ((), TECH,
        "television, home theater, entertainment center, CD player, cassette player, tape player, "
        "radio, loudspeaker, iPod, remote control, projector, oscilloscope, joystick, cassette, "
        "switch"),
    "Microphone": (("Electronics",), TECH, "microphone"),
    "Furniture": ((), HOME,
        "bookcase, chiffonier, china cabinet, desk, dining table, folding chair, four-poster, rocking "
        "chair, studio couch, throne, wardrobe, cradle, crib, bassinet, barber chair, park bench, "
        "medicine chest, chest, entertainment center, plate rack"),
    "Appliance": (("Indoors",), HOME,
        "dishwasher, microwave, refrigerator, stove, toaster, washer, vacuum, electric fan, space "
        "heater, iron, waffle iron, Crock Pot, rotisserie, sewing machine, hand blower, radiator"),
    "Kitchenware": (("Indoors",), HOME,
        "frying pan, wok, caldron, Dutch oven, pot, teapot, mixing bowl, soup bowl, measuring cup, "
        "ladle, spatula, wooden spoon, strainer, cleaver, can opener, corkscrew, saltshaker, tray, "
        "pitcher"),
    "Lamp": (("Indoors",), HOME, "table lamp, lampshade, candle, spotlight, torch"),
    "Bathroom": (("Indoors",), HOME,
        "bathtub, tub, toilet seat, washbasin, shower curtain, soap dispenser, toilet tissue, bath "
        "towel, plunger"),
    "Home Decor": (("Indoors",), HOME,
        "quilt, pillow, doormat, prayer rug, window screen, shoji, sliding door, "
        "vase, fire screen, velvet, wool"),
    "Curtain": (("Home Decor",), HOME, "theater curtain, window shade"),
    "Clock": ((), OBJECTS, "analog clock, digital clock, wall clock, stopwatch, hourglass, sundial"),
    "Musical Instrument": ((), HOBBIES,
        "accordion, acoustic guitar, banjo, bassoon, cello, chime, cornet, drum, electric guitar, "
        "flute, French horn, gong, grand piano, harmonica, harp, maraca, marimba, oboe, ocarina, "
        "organ, panpipe, sax, steel drum, trombone, upright, violin, drumstick"),
    "Ball": ((), SPORTS,
        "baseball, basketball, croquet ball, golf ball, ping-pong ball, rugby ball, soccer ball, "
        "tennis ball, volleyball, puck"),
    "Sport": ((), SPORTS,
        "balance beam, barbell, dumbbell, horizontal bar, parallel bars, punching bag, racket, ski, "
        "paddle, ballplayer"),
    "Tool": ((), TOOLS,
        "hammer, hatchet, chain saw, power drill, screwdriver, screw, nail, shovel, plow, pick, "
        "broom, carpenter's kit, rule, scale, lawn mower, file, plane, paintbrush, swab, thimble, "
        "safety pin, buckle, padlock, combination lock, hook, chain, knot, coil, spindle"),
    "Machine": ((), TOOLS,
        "crane, thresher, drilling platform, gas pump, cash machine, vending machine, slot, parking "
        "meter, turnstile, solar dish, radio telescope, odometer, magnetic compass, barometer, oil "
        "filter, disk brake, potter's wheel"),
    "Weapon": ((), OBJECTS, "assault rifle, rifle, revolver, cannon, missile, projectile, holster, scabbard"),
    "Container": ((), OBJECTS,
        "ashcan, barrel, bucket, carton, crate, hamper, milk can, packet, plastic bag, rain barrel, "
        "shopping basket, pencil box, mailbox, safe, binder, envelope, piggy bank"),
    "Text": ((), TEXT, "web site, comic book, book jacket"),
    "Document": ((), TEXT, "menu, crossword puzzle"),
    # ImageNet's "brass" is "brass, memorial tablet, plaque"; a scoreboard is a board of lit text
    "Plaque": (("Sign",), TEXT, "brass"),
    "Scoreboard": (("Sign",), TEXT, "scoreboard"),
    "Flag": ((), OBJECTS, "flagpole"),
    "Road Sign": (("Sign",), TEXT, "street sign"),
    "Traffic Light": (("Outdoors",), VEHICLES, "traffic light"),
    "Toy": ((), HOBBIES, "teddy, jigsaw puzzle, pinwheel, balloon, carousel, swing, maze"),
    "Person": ((), PERSON, "groom, scuba diver"),
    "Tent": (("Outdoors",), NATURE, "mountain tent, sleeping bag"),
    "Stage": (("Indoors",), HOBBIES, "stage"),
}
# fmt: on

# Outdoors/Indoors hints for labels that do not already imply them.
SETTING: dict[str, str] = {
    "Building": "Outdoors", "Bridge": "Outdoors", "Mountain": "Outdoors", "Beach": "Outdoors",
    "Lake": "Outdoors", "Car": "Outdoors", "Truck": "Outdoors", "Bus": "Outdoors", "Train": "Outdoors",
    "Boat": "Outdoors", "Monument": "Outdoors", "Wildlife": "Outdoors", "Horse": "Outdoors",
    "Furniture": "Indoors", "Kitchenware": "Indoors", "Appliance": "Indoors", "Computer": "Indoors",
}  # fmt: skip


def _label_for(index: int, name: str) -> tuple[str, tuple[str, ...], str]:
    for label, (parents, category, names) in BY_NAME.items():
        if name in names.split(", "):
            return label, parents, category
    for first, last, label, parents in RANGES:
        if first <= index <= last:
            return label, parents, ANIMALS
    return name[:1].upper() + name[1:], (), OBJECTS


def build() -> dict:
    names = [row["name"] for row in csv.DictReader(CLASSES_CSV.open(encoding="utf-8"))]
    direct: dict[str, list[str]] = {k: list(v[0]) for k, v in TAXONOMY.items()}
    categories: dict[str, list[str]] = {k: list(v[1]) for k, v in TAXONOMY.items()}
    classes = []
    for index, name in enumerate(names):
        label, parents, category = _label_for(index, name)
        entry_parents = direct.setdefault(label, [])
        for parent in (*parents, *((SETTING[label],) if label in SETTING else ())):
            if parent not in entry_parents and parent != label:
                entry_parents.append(parent)
        if not categories.get(label):
            categories[label] = [category]
        classes.append({"index": index, "imagenet": name, "label": label})

    def ancestors(label: str, seen: tuple[str, ...] = ()) -> list[str]:
        out: list[str] = []
        for parent in direct.get(label, []):
            if parent in seen:
                raise ValueError(f"cycle through {parent}")
            for item in (parent, *ancestors(parent, (*seen, label))):
                if item not in out:
                    out.append(item)
        return out

    used = {c["label"] for c in classes}
    for label in list(used):
        used.update(ancestors(label))
    labels = {
        label: {
            "parents": ancestors(label),
            "categories": categories.get(label) or categories[ancestors(label)[0]],
        }
        for label in sorted(used)
    }
    return {"version": MAP_VERSION, "classes": classes, "labels": labels}


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
