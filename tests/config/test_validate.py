"""Validation names the field's path and says what is wrong."""
from __future__ import annotations

import pytest

from firmware import config


def paths(errors):
    return [p for p, _ in errors]


def test_example_office_is_valid(office):
    assert config.validate(office) == []


def test_missing_sections_are_named(office):
    del office["office"]
    del office["extensions"]
    errs = config.validate(office)
    assert ("office", "required field is missing") in errs
    assert ("extensions", "required field is missing") in errs


def test_wrong_type_names_the_index(office):
    office["extensions"][2]["number"] = 202       # YAML read an unquoted number
    errs = config.validate(office)
    assert paths(errs) == ["extensions[2].number"]
    assert "quotes" in errs[0][1]


def test_pattern_reason_is_in_words(office):
    office["extensions"][1]["number"] = "2O1"
    [(path, reason)] = config.validate(office)
    assert path == "extensions[1].number"
    assert "extension number" in reason and "2O1" in reason


def test_unknown_field_suggests_the_close_one(office):
    office["timeouts"]["extention_ring"] = 20
    [(path, reason)] = config.validate(office)
    assert path == "timeouts.extention_ring"
    assert "did you mean 'extension_ring'" in reason


def test_country_must_be_known_and_norway_is_not_false(office):
    office["office"]["country"] = False            # `country: NO` unquoted in YAML 1.1
    [(path, reason)] = config.validate(office)
    assert path == "office.country" and "write it in quotes" in reason
    office["office"]["country"] = "XX"
    [(path, reason)] = config.validate(office)
    assert "must be one of" in reason


def test_timezone_checked_with_zoneinfo(office):
    office["office"]["timezone"] = "Mars/Olympus_Mons"
    assert paths(config.validate(office)) == ["office.timezone"]


def test_gpio_backend_enum(office):
    office["board"]["gpio_backend"] = "wiringpi"
    [(path, reason)] = config.validate(office)
    assert path == "board.gpio_backend" and "rpigpio" in reason


def test_board_ports_open_mapping_with_typed_values(office):
    office["board"]["ports"] = {
        "fxo1": {"kind": "fxo", "pins": {"relay": 17, "ring": 27, "loop_current": None}, "audio_device": "USB1",
                 "ring_debounce_ms": 30},
        "fxs1": {"kind": "fxs", "pins": {"shk": 5, "rm": 6, "fr": 13}, "audio_device": 2},
    }
    office["board"]["ports"].update({p: {} for p in ("fxo2", "fxs2", "fxs3", "fxs4")})
    assert config.validate(office) == []
    office["board"]["ports"]["fxs1"]["pins"]["shk"] = 99
    assert paths(config.validate(office)) == ["board.ports.fxs1.pins.shk"]
    office["board"]["ports"]["fxs1"]["pins"]["shk"] = 5
    office["board"]["ports"]["fxs1"]["extra"] = {"nested": 1}    # added keys must be scalars
    assert paths(config.validate(office)) == ["board.ports.fxs1.extra"]


def test_board_port_kind_must_match_its_name(office):
    office["board"]["ports"] = {"fxo1": {"kind": "fxs"}}     # ports not listed take the reference pins
    assert [p for p, _ in config.validate(office)] == ["board.ports.fxo1.kind"]


def test_extension_phone_must_exist(office):
    office["extensions"][3]["phone"] = "fxs9"
    [(path, reason)] = config.validate(office)
    assert path == "extensions[3].phone" and "fxs9" in reason


def test_duplicate_extension_numbers(office):
    office["extensions"][3]["number"] = "201"
    office["extensions"][3]["mailbox"] = "209"
    office["trunks"]["outgoing"]["allowed_extensions"] = ["200"]
    [(path, reason)] = config.validate(office)
    assert path == "extensions[3]" and "extensions[1]" in reason


def test_operator_must_exist(office):
    office["operator"] = "299"
    assert ("operator", "no extension '299'") in config.validate(office)


def test_menu_option_target_must_exist(office):
    office["menus"]["main"]["options"]["3"] = {"action": "extension", "target": "299"}
    [(path, reason)] = config.validate(office)
    assert path == "menus.main.options.3.target" and "299" in reason


def test_menu_option_star_key_path_is_quoted(office):
    office["menus"]["main"]["options"]["*"] = {"action": "submenu", "target": "nowhere"}
    [(path, reason)] = config.validate(office)
    assert path == 'menus.main.options["*"].target' and "no menu 'nowhere'" in reason


def test_menu_key_must_be_a_dialpad_key(office):
    office["menus"]["main"]["options"]["12"] = {"action": "operator"}
    assert [p for p, _ in config.validate(office)] == ["menus.main.options.12"]


def test_outside_number_in_menu_refused_without_rule(office):
    office["menus"]["main"]["options"]["9"] = {"action": "external", "target": "15551234567"}
    [(path, reason)] = config.validate(office)
    assert path == "menus.main.options.9.target" and "toll-fraud" in reason
    office["security"]["allow_external_targets"] = ["15551234567"]
    assert config.validate(office) == []


def test_forward_to_an_outside_number_is_refused_with_the_reason(office):
    office["extensions"][3]["forward"] = {"no_answer": "15551234567"}
    [(path, reason)] = config.validate(office)
    assert path == "extensions[3].forward.no_answer" and "two phone-company lines" in reason
    del office["extensions"][3]["forward"]
    office["security"]["allow_external_forward"] = ["15551234567"]     # a field Switchboard does not have
    [(path, reason)] = config.validate(office)
    assert path == "security.allow_external_forward" and reason.startswith("not available:")


def test_queues_are_refused_everywhere_with_the_reason(office):
    office["queues"] = [{"name": "support", "members": ["202"]}]
    [(path, reason)] = config.validate(office)
    assert path == "queues" and "call queues" in reason and "ring_groups" in reason
    del office["queues"]
    office["ring_groups"] = [{"name": "support", "members": ["202"]}]
    office["trunks"]["incoming"]["answer_destination"] = "queue:support"
    office["menus"]["main"]["options"]["5"] = {"action": "queue", "target": "support"}
    found = dict(config.validate(office))
    assert set(found) == {"trunks.incoming.answer_destination", "menus.main.options.5.action"}
    assert all("call queues" in reason for reason in found.values())


def test_digits_only_where_dialled(office):
    office["trunks"]["outgoing"]["access_code"] = "#"
    assert paths(config.validate(office)) == ["trunks.outgoing.access_code"]


def test_extension_starting_with_access_code(office):
    office["extensions"][3]["number"] = "903"
    office["trunks"]["outgoing"]["allowed_extensions"] = ["200"]
    errs = config.validate(office)
    assert any(p == "extensions[3]" and "access code" in r for p, r in errs)


def test_answer_destination_and_on_fail_resolve(office):
    office["trunks"]["incoming"]["answer_destination"] = "menu:lobby"
    office["menus"]["main"]["on_fail"] = "ring_group:sales"
    assert sorted(paths(config.validate(office))) == ["menus.main.on_fail", "trunks.incoming.answer_destination"]


def test_ring_groups(office):
    office["ring_groups"] = [{"name": "sales", "number": "300", "members": ["201", "299"]},
                             {"name": "support", "number": "300", "members": ["202"]}]
    errs = config.validate(office)
    assert sorted(paths(errs)) == ["ring_groups[0].members[1]", "ring_groups[1].number"]


def test_schedule_checks(office):
    office["schedule"] = {
        "hours": {"mon": ["09:00-17:00", "16:00-18:00"], "tue": ["17:00-09:00"]},
        "lunch": {"start": "13:00", "end": "12:00"},
        "holidays": [{"date": "2026-02-30"}, {"date": "2026-12-25"}, {"date": "2026-12-25"}],
    }
    assert sorted(paths(config.validate(office))) == [
        "schedule.holidays[0].date", "schedule.holidays[2].date", "schedule.hours.mon[1]",
        "schedule.hours.tue[0]", "schedule.lunch.end"]


def test_schedule_time_format(office):
    office["schedule"] = {"hours": {"mon": ["9-5"]}}
    [(path, reason)] = config.validate(office)
    assert path == "schedule.hours.mon[0]" and "HH:MM-HH:MM" in reason


def test_not_a_mapping():
    assert config.validate(["a"]) == [("document", "must be a mapping of sections (office:, board:, lines:, ...)")]


@pytest.mark.parametrize("section", ["menus", "schedule", "voicemail", "security", "ring_groups"])
def test_every_section_is_in_the_schema(section):
    assert section in config.schema()["properties"]


def test_schema_is_a_valid_draft_2020_12_schema():
    import jsonschema
    jsonschema.Draft202012Validator.check_schema(config.schema())
    assert config.schema()["$schema"].endswith("2020-12/schema")


def test_forward_to_another_extension(office):
    office["extensions"][1]["forward"] = {"busy": "202", "no_answer": "203", "always": None}
    assert config.validate(office) == []
    office["extensions"][1]["forward"] = {"busy": "201"}
    assert [p for p, _ in config.validate(office)] == ["extensions[1].forward.busy"]


def test_every_schema_field_is_documented():
    from pathlib import Path
    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    s = config.schema()

    def resolve(node):
        while "$ref" in node:
            node = s["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    missing = []

    def walk(node, path):
        node = resolve(node)
        for key, sub in node.get("properties", {}).items():
            if key not in text:
                missing.append(f"{path}.{key}")
            walk(sub, f"{path}.{key}")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, f"{path}.<key>")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(s, "")
    assert missing == []


def test_every_country_in_the_schema_has_tones_and_a_ring_cadence():
    from drivers.dsp.tones import COUNTRY_TONES
    from drivers.ring import COUNTRY_CADENCE

    countries = config.schema()["$defs"]["office"]["properties"]["country"]["enum"]
    assert set(countries) <= set(COUNTRY_TONES) and set(countries) <= set(COUNTRY_CADENCE)


def test_every_dialable_number_belongs_to_one_thing(office):
    office["voicemail"]["shared"] = [{"number": "300", "name": "Orders"}]
    office["ring_groups"] = [{"name": "sales", "number": "300", "members": ["201"]}]
    office["parking"] = {"first_slot": "202", "slots": 2}
    errs = config.validate(office)
    assert ("voicemail.shared[0].number", "number '300' is already used by ring_groups[0].number") in errs
    assert any(p == "parking" and "extensions[2]" in r for p, r in errs)


def test_an_unknown_key_names_itself(office):
    office["schedule"] = {"hours": {"monday": ["09:00-17:00"]}}
    [(path, reason)] = config.validate(office)
    assert path == "schedule.hours.monday" and "mon, tue" in reason


def test_an_emergency_number_may_not_be_an_extension(office):
    office["trunks"]["outgoing"]["emergency_numbers"] = ["911", office["extensions"][0]["number"]]
    [(path, reason)] = config.validate(office)
    assert path == "trunks.outgoing.emergency_numbers[1]" and "extension" in reason


def test_timeouts_dial_tone_is_refused_naming_the_setting_that_works(office):
    office["timeouts"] = {"dial_tone": 5}
    [(path, reason)] = config.validate(office)
    assert path == "timeouts.dial_tone" and "trunks.outgoing.dial_tone_timeout" in reason
