"""Labels from faces, text, pixels and scenes (core/analysis/local/labels.py), each rule on inputs showing it.

The figures each rule was measured by are printed by ``benchmarks/eval_labels.py`` and
``benchmarks/label_evidence.py --calibrate``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.local.labels import (
    LabelMap,
    direct_labels,
    people_labels,
    pixel_labels,
    scene_labels,
    text_labels,
)
from photosorter.core.analysis.types import Box, Face, Feature, Label, TextLine

DATA = Path(__file__).parent / "data"


def names(labels) -> set[str]:
    return {label.name for label in labels}


def face(width: float, height: float | None = None) -> Face:
    return Face(Box(0.1, 0.1, width, width if height is None else height), 99.0)


def line(text: str, width: float = 0.2) -> TextLine:
    return TextLine(text, 95.0, Box(0.1, 0.1, width, 0.05))


def test_two_people_posing_are_a_group_a_subject_with_passers_by_is_not() -> None:
    assert {"Group", "People", "Person"} <= names(people_labels((face(0.1), face(0.12))))
    assert "Group" not in names(people_labels((face(0.3),)))
    # a street photo: two faces far away, or one subject and bystanders, is not a posed group
    assert "Group" not in names(people_labels((face(0.05), face(0.04))))
    assert "Group" not in names(people_labels((face(0.085), face(0.03), face(0.03), face(0.02))))


def test_one_face_filling_the_frame_is_a_portrait_a_standing_figure_is_not() -> None:
    assert "Portrait" in names(people_labels((face(0.3, 0.25),)))
    # a tall full-length photo: the face is a third of the width but a seventh of the height
    assert "Portrait" not in names(people_labels((face(0.31, 0.14),)))
    assert "Portrait" not in names(people_labels((face(0.1, 0.2),)))


def test_many_faces_far_away_are_a_crowd_a_family_portrait_is_not() -> None:
    market = (face(0.08), face(0.03), face(0.03), face(0.03), face(0.02))
    assert "Crowd" in names(people_labels(market))
    family = tuple(face(0.15) for _ in range(6))
    assert "Crowd" not in names(people_labels(family))
    assert "Group" in names(people_labels(family))


def test_a_page_of_wide_lines_is_a_document_a_sign_of_short_lines_is_not() -> None:
    page = tuple(line(f"line {n} of a page of printed prose", width=0.7) for n in range(6))
    assert "Document" in names(text_labels(page))
    sign = tuple(line(word, width=0.15) for word in ("NO", "LITTER", "PLEASE", "KEEP", "CLEAN", "THANKS"))
    assert "Document" not in names(text_labels(sign))


def test_prices_and_a_total_make_a_receipt() -> None:
    receipt = (line("Margherita 8.50"), line("Cola 2.20"), line("TOTAL 10.70"))
    assert {"Receipt", "Document", "Text"} <= names(text_labels(receipt))
    menu_board = (line("Margherita 8.50"), line("Cola 2.20"))  # prices, but nothing was paid
    assert "Receipt" not in names(text_labels(menu_board))


def test_a_short_run_of_capitals_and_digits_is_a_licence_plate() -> None:
    assert "License Plate" in names(text_labels((line("MICHIGAN"), line("8BLP27"))))
    assert "License Plate" not in names(text_labels((line("Rue de Rivoli"), line("1er Arr"))))
    assert "License Plate" not in names(text_labels((line("STOP"),)))


def sky_photo() -> np.ndarray:
    """Blue sky over a textured field: the top third smooth blue, the rest noise."""
    rng = np.random.default_rng(7)
    bgr = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    bgr[:120] = (230, 170, 90)  # BGR: a clear blue
    return cv2.GaussianBlur(bgr, (3, 3), 0)


def test_a_smooth_blue_top_third_is_sky_and_outdoors() -> None:
    found = names(pixel_labels(sky_photo(), ()))
    assert {"Sky", "Outdoors"} <= found
    wall = sky_photo()
    wall[:120] = np.random.default_rng(3).integers(0, 255, (120, 400, 3), dtype=np.uint8)
    assert "Sky" not in names(pixel_labels(wall, ()))


def test_a_white_page_is_not_sky() -> None:
    page = np.full((300, 400, 3), 235, dtype=np.uint8)
    lines = tuple(line(f"line {n}", width=0.7) for n in range(6))
    assert "Sky" not in names(pixel_labels(page, lines))


def test_black_and_white_needs_no_colour_at_all() -> None:
    grey = cv2.cvtColor(cv2.cvtColor(sky_photo(), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert "Black and White" in names(pixel_labels(grey, ()))
    assert "Black and White" not in names(pixel_labels(sky_photo(), ()))


def test_weak_guesses_that_agree_under_a_sure_parent_count() -> None:
    label_map = LabelMap.load()
    # a pickup sure enough to be a vehicle; the car classes together say it is a car as well
    pickup = names(label_map.labels(probabilities(pickup=0.5, beach_wagon=0.09, limousine=0.08, jeep=0.07)))
    assert {"Truck", "Vehicle", "Car"} <= pickup
    # the same car guesses under an unsure vehicle (a train read as a trailer truck) stay out
    unsure = names(
        label_map.labels(probabilities(trailer_truck=0.17, beach_wagon=0.09, limousine=0.08, jeep=0.07))
    )
    assert "Car" not in unsure


def test_a_label_made_of_many_weak_guesses_needs_more_evidence() -> None:
    label_map = LabelMap.load()
    index = {name: i for i, name in enumerate(label_map.imagenet_names)}
    weak = np.zeros(len(label_map.imagenet_names), dtype=np.float32)
    # four vehicles at 7% each: 28% "Vehicle", but no single class is sure of anything
    for name in ("bobsled", "go-kart", "tractor", "snowmobile"):
        weak[index[name]] = 0.07
    weak[index["suit"]] = 1.0 - weak.sum()
    assert "Vehicle" not in names(label_map.labels(weak))
    strong = np.zeros_like(weak)
    strong[index["minibus"]] = 0.3
    strong[index["suit"]] = 0.7
    assert {"Bus", "Vehicle"} <= names(label_map.labels(strong))


def test_green_with_leafy_texture_is_a_tree_smooth_green_is_not() -> None:
    rng = np.random.default_rng(11)
    leaves = np.zeros((300, 400, 3), dtype=np.uint8)
    leaves[..., 1] = rng.integers(60, 220, (300, 400), dtype=np.uint8)  # green, dappled
    leaves[..., 0] = leaves[..., 1] // 4
    leaves[..., 2] = leaves[..., 1] // 3
    assert {"Tree", "Outdoors"} <= names(pixel_labels(leaves, ()))
    backdrop = np.zeros_like(leaves)
    backdrop[...] = (40, 160, 50)  # a smooth green studio backdrop
    assert "Tree" not in names(pixel_labels(backdrop, ()))
    sign = tuple(line(word) for word in ("SEOUL", "CITY HALL", "EXIT"))  # a green road sign's lines
    assert "Tree" not in names(pixel_labels(leaves, sign))


def probabilities(**shares: float) -> np.ndarray:
    """A classifier output: the named ImageNet classes at these shares, the rest on an unrelated class."""
    label_map = LabelMap.load()
    index = {name: i for i, name in enumerate(label_map.imagenet_names)}
    out = np.zeros(len(label_map.imagenet_names), dtype=np.float32)
    for name, share in shares.items():
        out[index[name.replace("_", " ")]] = share
    out[index["jigsaw puzzle"]] += 1.0 - out.sum()
    return out


def outdoors() -> tuple[Label, ...]:
    return (Label("Sky", 90.0), Label("Outdoors", 90.0))


def test_several_waterside_guesses_add_up_to_water() -> None:
    label_map = LabelMap.load()
    # no single class is sure (boathouse 14%, lakeside 11%, dock 3%), together they say water
    riverside = probabilities(boathouse=0.14, lakeside=0.11, dock=0.03, castle=0.21)
    assert {"Water", "Outdoors"} <= names(scene_labels(label_map, riverside, ()))
    assert "Water" not in names(scene_labels(label_map, probabilities(castle=0.6, palace=0.2), ()))


def test_water_under_sky_is_a_landscape() -> None:
    label_map = LabelMap.load()
    bay = probabilities(suspension_bridge=0.27, pier=0.21, container_ship=0.1)
    assert "Landscape" in names(scene_labels(label_map, bay, outdoors()))
    assert "Landscape" not in names(scene_labels(label_map, bay, ()))


def test_formal_wear_or_a_served_coffee_without_sky_or_trees_is_indoors() -> None:
    label_map = LabelMap.load()
    for evidence in (probabilities(suit=0.5, Windsor_tie=0.1), probabilities(espresso=0.9)):
        assert "Indoors" in names(scene_labels(label_map, evidence, ()))
        assert "Indoors" not in names(scene_labels(label_map, evidence, outdoors()))
    # a suit at a stadium: weak evidence, not indoors
    assert "Indoors" not in names(scene_labels(label_map, probabilities(suit=0.1, bow_tie=0.04), ()))


def test_a_street_sign_is_outdoors_a_licence_plate_read_as_one_is_not() -> None:
    label_map = LabelMap.load()
    sign = probabilities(street_sign=0.11, scoreboard=0.5)
    assert "Outdoors" in names(scene_labels(label_map, sign, (Label("Text", 99.0),)))
    plate = (Label("Text", 99.0), Label("License Plate", 99.0))
    assert "Outdoors" not in names(scene_labels(label_map, sign, plate))


def test_several_bridge_guesses_add_up_to_a_bridge() -> None:
    label_map = LabelMap.load()
    # a railway bridge in a valley: viaduct 7%, suspension 7%, steel arch 6%, none sure alone
    valley = probabilities(viaduct=0.07, suspension_bridge=0.07, steel_arch_bridge=0.06, trailer_truck=0.17)
    assert {"Bridge", "Outdoors"} <= names(scene_labels(label_map, valley, ()))
    assert "Bridge" not in names(scene_labels(label_map, probabilities(castle=0.5, dock=0.1), ()))


def test_cars_and_buses_stand_in_a_street_a_motorcycle_or_a_weak_truck_guess_does_not() -> None:
    label_map = LabelMap.load()
    for evidence in (probabilities(pickup=0.5, beach_wagon=0.1, jeep=0.07), probabilities(minibus=0.6)):
        assert {"Street", "Outdoors"} <= names(scene_labels(label_map, evidence, ()))
    assert "Street" not in names(scene_labels(label_map, probabilities(moped=0.5, motor_scooter=0.2), ()))
    assert "Street" not in names(scene_labels(label_map, probabilities(trailer_truck=0.17), ()))


def test_buses_trams_and_street_name_signs_are_a_city_a_pickup_or_a_plaque_is_not() -> None:
    label_map = LabelMap.load()
    for evidence in (
        probabilities(minibus=0.59, police_van=0.11, trolleybus=0.08, streetcar=0.02),
        probabilities(street_sign=0.95),
    ):
        found = {label.name: label for label in scene_labels(label_map, evidence, ())}
        assert {"City", "Outdoors"} <= set(found)
        assert {"Urban", "Building"} <= set(found["City"].parents)
    # a pickup in the country, a plaque on a wall guessed a street sign
    for evidence in (
        probabilities(pickup=0.5, beach_wagon=0.1, cab=0.01),
        probabilities(brass=0.67, street_sign=0.2),
    ):
        assert "City" not in names(scene_labels(label_map, evidence, ()))
    # a licence plate read as a street sign says nothing of the town
    plate = (Label("Text", 99.0), Label("License Plate", 99.0))
    assert "City" not in names(scene_labels(label_map, probabilities(street_sign=0.6), plate))


def test_boathouses_and_tile_roofs_are_houses_a_palace_by_a_lake_is_not() -> None:
    label_map = LabelMap.load()
    riverside = probabilities(castle=0.21, boathouse=0.14, lakeside=0.11, palace=0.1)
    found = {label.name: label for label in scene_labels(label_map, riverside, ())}
    assert "House" in found
    assert "Building" in found["House"].parents
    lake_palace = probabilities(palace=0.36, bell_cote=0.23, lakeside=0.08, boathouse=0.03)
    assert "House" not in names(scene_labels(label_map, lake_palace, ()))


def test_houses_along_a_waterfront_are_a_town_and_a_city_a_lone_cottage_is_not() -> None:
    label_map = LabelMap.load()
    canal = probabilities(boathouse=0.54, patio=0.06, tile_roof=0.05, lakeside=0.01, gondola=0.01)
    found = {label.name: label for label in scene_labels(label_map, canal, ())}
    assert {"Town", "House", "Water"} <= set(found)
    assert "City" in found["Town"].parents
    cottage = probabilities(thatch=0.4, hay=0.2)
    assert "House" in names(scene_labels(label_map, cottage, ()))
    assert "Town" not in names(scene_labels(label_map, cottage, ()))


def test_grazing_animals_under_sky_stand_in_a_field_of_grass() -> None:
    label_map = LabelMap.load()
    herd = probabilities(water_buffalo=0.27, ox=0.08, ram=0.06)
    found = tuple(label_map.labels(herd))
    assert {"Field", "Grass"} <= names(scene_labels(label_map, herd, (*found, *outdoors())))
    # the same animals with no sky seen: a barn, a show ring
    assert not {"Field", "Grass"} & names(scene_labels(label_map, herd, found))
    # a dog under sky is not in a field
    dog = probabilities(redbone=0.8)
    assert "Field" not in names(scene_labels(label_map, dog, (*label_map.labels(dog), *outdoors())))


def test_a_flower_among_green_foliage_is_growing_outdoors_a_flower_on_a_table_is_not() -> None:
    label_map = LabelMap.load()
    flower = probabilities(daisy=0.28, sea_anemone=0.04)
    foliage = np.zeros((120, 160, 3), dtype=np.uint8)
    foliage[:] = (40, 140, 50)  # BGR leaf green
    foliage[40:80, 60:100] = (80, 150, 250)  # an orange bloom in the middle
    found = names(direct_labels(label_map, flower, (), (), foliage))
    assert {"Flower", "Leaf", "Outdoors"} <= found
    table = np.full((120, 160, 3), (60, 90, 130), dtype=np.uint8)  # a wooden table
    table[40:80, 60:100] = (80, 150, 250)
    assert not {"Leaf", "Outdoors"} & names(direct_labels(label_map, flower, (), (), table))
    # a green studio backdrop behind a dog is no foliage: only a flower is read this way
    dog = probabilities(Border_collie=0.6)
    assert not {"Leaf", "Outdoors"} & names(direct_labels(label_map, dog, (), (), foliage))


def scene_names(label_map: LabelMap, evidence: np.ndarray) -> set[str]:
    """The scene labels of ``evidence`` given the labels its classes name directly."""
    return names(scene_labels(label_map, evidence, tuple(label_map.labels(evidence))))


def test_a_plaque_hangs_on_a_wall() -> None:
    label_map = LabelMap.load()
    assert "Wall" in scene_names(label_map, probabilities(brass=0.67, street_sign=0.2))
    assert "Wall" not in scene_names(label_map, probabilities(street_sign=0.9))


def test_a_food_market_shows_food() -> None:
    label_map = LabelMap.load()
    assert "Food" in scene_names(label_map, probabilities(grocery_store=0.31, butcher_shop=0.13))
    assert "Food" not in scene_names(label_map, probabilities(bookshop=0.6))


def test_formal_wear_on_someone_framed_close_is_a_tie() -> None:
    label_map = LabelMap.load()
    blank = np.full((200, 200, 3), 128, dtype=np.uint8)

    def labelled(evidence: np.ndarray, faces: tuple[Face, ...]) -> set[str]:
        return names(direct_labels(label_map, evidence, faces, (), blank))

    suited = probabilities(suit=0.55, bow_tie=0.07, Windsor_tie=0.03, groom=0.03)
    assert "Tie" in labelled(suited, (face(0.21),))
    # the same outfits on people far away: the suits show, a tie does not
    assert "Tie" not in labelled(suited, (face(0.1), face(0.09), face(0.07)))
    assert "Tie" not in labelled(suited, ())
    # a bow tie guessed alone (a family in summer clothes) is not a tie
    assert "Tie" not in labelled(probabilities(bow_tie=0.24, groom=0.13), (face(0.2),))


def test_a_licence_plate_is_not_a_road_sign() -> None:
    label_map = LabelMap.load()
    blank = np.full((200, 400, 3), 200, dtype=np.uint8)
    plate = probabilities(street_sign=0.36, book_jacket=0.25)
    found = names(direct_labels(label_map, plate, (), (line("MICHIGAN"), line("CFA 7360")), blank))
    assert "License Plate" in found
    assert not {"Road Sign", "Sign"} & found
    sign = names(direct_labels(label_map, plate, (), (line("Rue de Rivoli"),), blank))
    assert {"Road Sign", "Sign"} <= sign


def test_an_espresso_is_coffee_a_beverage_and_a_cup() -> None:
    found = {label.name: label for label in LabelMap.load().labels(probabilities(espresso=0.9))}
    assert {"Espresso", "Coffee", "Beverage"} <= set(found)
    assert {"Coffee", "Beverage", "Cup"} <= set(found["Espresso"].parents)
    assert "Cup" in found  # a served espresso is in a cup


def test_a_market_stall_is_a_market_not_a_building() -> None:
    found = names(LabelMap.load().labels(probabilities(grocery_store=0.31, butcher_shop=0.13, caldron=0.06)))
    assert {"Market", "Shop"} <= found
    assert not {"Building", "Architecture"} & found


def test_a_flower_is_nature() -> None:
    label_map = LabelMap.load()
    flower = probabilities(daisy=0.28, sea_anemone=0.04)
    found = label_map.labels(flower)
    assert "Flower" in names(found)
    assert "Nature" in names(scene_labels(label_map, flower, tuple(found)))
    assert "Nature" not in names(scene_labels(label_map, probabilities(espresso=0.9), ()))


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> LocalAnalyzer:
    return LocalAnalyzer(cache_dir=tmp_path_factory.mktemp("models"))


def test_real_photos_get_their_scene_labels(analyzer) -> None:
    def labelled(path: Path) -> set[str]:
        return names(analyzer.analyze(path.read_bytes(), frozenset({Feature.LABELS})).labels)

    bay = labelled(DATA / "photos" / "golden_gate_bridge.webp")
    assert {"Water", "Landscape", "Sky", "Outdoors", "Bridge"} <= bay
    assert "Indoors" not in bay
    portrait = labelled(DATA / "analysis" / "obama.jpg")
    assert {"Indoors", "Portrait", "Suit"} <= portrait
    assert not {"Outdoors", "Water", "Landscape"} & portrait
    family = labelled(DATA / "analysis" / "family.jpg")
    assert {"Group", "People"} <= family
    assert "Crowd" not in family
