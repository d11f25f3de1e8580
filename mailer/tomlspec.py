"""Reading a TOML value against a declared dataclass field: the checks, and messages people can act on.

Used by config.py (and fit for any TOML file whose keys are dataclass fields): a field's type,
its default and the `rule(...)` in its metadata describe what it accepts; a value that does not
fit is a ConfigError-like error naming the file and the key, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from .errors import ConfigError, MailerError


@dataclass(frozen=True)
class Rule:
    """What a key accepts beyond its type; kept in the field's metadata."""

    choices: tuple[str, ...] = ()
    minimum: float | None = None     # numbers (each element of a list): inclusive bounds...
    maximum: float | None = None
    above: float | None = None       # ...and an exclusive one, for durations that must be > 0
    empty: bool = False              # the empty string means something ("no login", "no link")
    under_storage: bool = False      # the default path lives in the storage folder, not beside the file
    pattern: str = ""                # a string must match it whole
    check: Callable[[Any], Any] | None = None   # value -> cleaned value, or ValueError(why)
    what: str = ""                   # what the pattern or the check wants, for the message


NO_RULE = Rule()


def rule(**kw: Any) -> dict[str, Rule]:
    """A field's metadata: `field(default=4, metadata=rule(minimum=1))`."""
    return {"rule": Rule(**kw)}


def read_toml(source: Path, error: type[MailerError], missing: str) -> dict[str, Any]:
    """A TOML file as a dict; every failure is `error` naming the file."""
    return read_toml_bytes(source, error, missing)[0]


def read_toml_bytes(source: Path, error: type[MailerError], missing: str) -> tuple[dict[str, Any], bytes]:
    """A TOML file as a dict, and the bytes it was read from (to hash exactly what was parsed)."""
    try:
        data = source.read_bytes()
        return tomllib.loads(data.decode("utf-8")), data
    except FileNotFoundError:
        raise error(f"{source}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{source}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: invalid TOML: {exc}") from None


def required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def read_value(hint: Any, value: Any, spec: Rule, where: str, base: Path) -> Any:
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if not isinstance(value, list):
            raise bad(where, f"a list, each {_describe(item, spec)}", value)
        return tuple(read_value(item, x, spec, f"{where}[{i}]", base) for i, x in enumerate(value))
    want = _describe(hint, spec)
    if isinstance(value, bool) != (hint is bool):     # a bool is no number, a number no bool
        raise bad(where, want, value)
    if hint in (int, float):                          # an integer is a fine float
        number = isinstance(value, int) or (hint is float and isinstance(value, float))
        if not number or not math.isfinite(value) or not _in_bounds(value, spec):
            raise bad(where, want, value)
        value = hint(value)
    elif not isinstance(value, str if hint is Path else hint):
        raise bad(where, want, value)
    elif isinstance(value, str):
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise bad(where, want, value, "no line breaks, tabs or other control characters")
        if ((not value.strip() and not spec.empty) or (spec.choices and value not in spec.choices)
                or (value and spec.pattern and not re.fullmatch(spec.pattern, value))):
            raise bad(where, want, value)
    if spec.check and value != "":
        try:
            value = spec.check(value)
        except ValueError as exc:
            raise bad(where, want, value, str(exc)) from None
    if hint is Path:
        try:
            return base / Path(value).expanduser()
        except RuntimeError as exc:     # "~nobody/x": no such home
            raise bad(where, want, value, str(exc)) from None
    return value


def _in_bounds(value: float, spec: Rule) -> bool:
    return ((spec.minimum is None or value >= spec.minimum) and (spec.maximum is None or value <= spec.maximum)
            and (spec.above is None or value > spec.above))


def _describe(hint: Any, spec: Rule) -> str:
    if spec.choices:
        return "one of " + ", ".join(json.dumps(c, ensure_ascii=False) for c in spec.choices)
    if spec.what:
        return spec.what + (" or an empty string" if spec.empty else "")
    if hint in (int, float):
        noun = "an integer" if hint is int else "a number"
        if spec.minimum is not None and spec.maximum is not None:
            return f"{noun} from {spec.minimum:g} to {spec.maximum:g}"
        if spec.minimum is not None:
            return f"{noun} ({spec.minimum:g} or more)"
        return f"{noun} greater than {spec.above:g}" if spec.above is not None else noun
    names = {bool: "true or false", Path: "a path (a non-empty string)", str: "a non-empty string"}
    return "a string" if hint is str and spec.empty else names[hint]


def found(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return "an empty string" if not value else f"the string {json.dumps(value, ensure_ascii=False)}"
    kinds = {int: "the integer", float: "the number", list: "a list", dict: "a table"}
    kind = next((v for k, v in kinds.items() if isinstance(value, k)), f"the {type(value).__name__}")
    return kind if isinstance(value, (list, dict)) else f"{kind} {value}"


def bad(where: str, want: str, value: Any, why: str = "") -> ConfigError:
    return ConfigError(f"{where}: expected {want}, found {found(value)}" + (f" ({why})" if why else ""))
