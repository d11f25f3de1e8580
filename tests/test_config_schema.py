"""The config schema checks itself: tests generated from the dataclasses, so a new key cannot escape.

Every key refuses a value of the wrong type with a ConfigError naming it (never another
exception), every default lives in its dataclass only, and the sample config.toml documents
every key.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import json
import re
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from mailer import config as config_module
from mailer.config import DERIVED_DEFAULTS, NO_RULE, StorageConfig, load_config, sections
from mailer.errors import ConfigError

SAMPLE = Path(__file__).resolve().parent.parent / "config.toml"
TEAM = {"name": "T", "address": "t@example.org"}


def schema() -> list[tuple[str, str, Any, dataclasses.Field[Any]]]:
    """(section, key, type, field) for every key a config file may hold."""
    return [(section, f.name, get_type_hints(cls)[f.name], f)
            for section, cls in sections().items() for f in dataclasses.fields(cls)]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value) if isinstance(value, str) else repr(value)


def write(tmp_path: Path, section: str, key: str, value: Any) -> Path:
    """A valid minimal config plus `section.key = value`, written as TOML."""
    tables: dict[str, dict[str, Any]] = {"team": dict(TEAM)}
    tables.setdefault(section, {})[key] = value
    text = "".join(f"[{name}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items())
                   for name, table in tables.items())
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


DAY = datetime.date(2025, 12, 15)
WRONG: dict[Any, list[Any]] = {     # values of another TOML type than the key's
    str: [3, True, DAY, ["x"], {"a": 1}], Path: [3, False, DAY, ["x"], {"a": 1}],
    bool: ["true", 1, 0.0, DAY, ["x"]], int: ["3", True, 2.5, DAY, [3], {"a": 1}],
    float: ["3", False, DAY, [3.0], {"a": 1}],
}


def wrong_values(hint: Any) -> list[Any]:
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        return ["x", 3, {"a": 1}] + [[v] for v in WRONG[item] if not isinstance(v, list)]
    return WRONG[hint]


CASES = [(s, k, v) for s, k, hint, _ in schema() for v in wrong_values(hint)]


@pytest.mark.parametrize("section,key,value", CASES, ids=[f"{s}.{k}={v!r}" for s, k, v in CASES])
def test_every_key_refuses_a_value_of_the_wrong_type(tmp_path: Path, section: str, key: str, value: Any) -> None:
    path = write(tmp_path, section, key, value)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: {section}.{key}(\\[0\\])?: expected .+, found "):
        load_config(path)


@pytest.mark.parametrize("section", list(sections()))
def test_every_section_must_be_a_table(tmp_path: Path, section: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"{section} = 3\n[team]\nname = \"T\"\naddress = \"t@example.org\"\n"
                    if section != "team" else "team = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: \\[{section}\\] must be a table"):
        load_config(path)


NUMBERS = [(s, k) for s, k, hint, _ in schema() if hint in (int, float) or get_args(hint) in ((int, ...), (float, ...))]
FLOATS = [(s, k) for s, k, hint, _ in schema() if float in (hint, *get_args(hint))]


@pytest.mark.parametrize("section,key", FLOATS)
def test_an_integer_is_fine_where_a_number_of_seconds_is_expected(tmp_path: Path, section: str, key: str) -> None:
    hint = get_type_hints(sections()[section])[key]
    bound = next(f for f in dataclasses.fields(sections()[section]) if f.name == key).metadata.get("rule", NO_RULE)
    n = 7 if bound.maximum is None or bound.maximum >= 7 else int(bound.maximum)   # apply_confidence: 0 to 1
    value = getattr(getattr(load_config(write(tmp_path, section, key, [n] if get_args(hint) else n)), section), key)
    assert value == ((float(n),) if get_args(hint) else float(n))
    assert all(isinstance(v, float) for v in (value if get_args(hint) else [value]))


@pytest.mark.parametrize("section,key", NUMBERS)
def test_a_boolean_is_never_a_number(tmp_path: Path, section: str, key: str) -> None:
    hint = get_type_hints(sections()[section])[key]
    path = write(tmp_path, section, key, [True] if get_args(hint) else True)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: {section}.{key}(\\[0\\])?: expected .+, found true$"):
        load_config(path)


def test_every_default_lives_in_its_dataclass(tmp_path: Path) -> None:
    """A config with only the required keys equals the dataclass defaults, paths placed in their folder."""
    path = write(tmp_path, "team", "name", "T")
    config = load_config(path)
    storage_folder = tmp_path / StorageConfig().path.parent
    checked = 0
    for section, key, hint, f in schema():
        if f.default is dataclasses.MISSING:
            continue
        expected = f.default
        if hint is Path:
            expected = (storage_folder if f.metadata.get("rule", NO_RULE).under_storage else tmp_path) / f.default
        assert getattr(getattr(config, section), key) == expected, f"{section}.{key}"
        checked += 1
    assert checked == len(schema()) - 2     # all but team.name and team.address


def test_the_parser_writes_no_default_of_its_own() -> None:
    """Guards against a second copy of a default creeping back into the parsing code."""
    parser = inspect.getsource(config_module).partition("def load_config")[2]
    for section, key, _, f in schema():
        rule = f.metadata.get("rule", NO_RULE)
        if isinstance(f.default, (str, Path)) and str(f.default) and not rule.choices:
            assert json.dumps(str(f.default), ensure_ascii=False) not in parser, f"{section}.{key}"


def test_the_sample_config_loads_and_documents_every_key() -> None:
    config = load_config(SAMPLE)
    assert config.source == SAMPLE
    text = SAMPLE.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    missing = [f"{s}.{k}" for s, k, _, _ in schema() if k not in raw.get(s, {}) and f"{s}.{k}" not in DERIVED_DEFAULTS]
    assert not missing, f"config.toml does not show {missing}"
    # A key whose default depends on another is shown commented out: written, it would stop following it.
    for key in DERIVED_DEFAULTS:
        section, _, name = key.partition(".")
        assert name not in raw.get(section, {}), key
        assert re.search(rf"^\[{section}\]\n(?:.*\n)*?# {name} = ", text, re.M), f"config.toml does not show {key}"


def test_the_sample_shows_the_defaults() -> None:
    """The sample repeats the defaults to document them: this keeps the two copies equal."""
    config = load_config(SAMPLE)
    yours = {"team.name", "team.address", "team.coordinators", "inbox.username"}
    for section, key, hint, f in schema():
        if f"{section}.{key}" in yours:
            continue
        expected = f.default
        if hint is Path:
            expected = (config.state_dir if f.metadata.get("rule", NO_RULE).under_storage else SAMPLE.parent) / f.default
        assert getattr(getattr(config, section), key) == expected, f"{section}.{key}"


def test_every_key_of_the_sample_says_what_it_is_for() -> None:
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines()
             if "=" in line and not line.lstrip().startswith("#")]
    assert [line for line in lines if "#" not in line] == []
