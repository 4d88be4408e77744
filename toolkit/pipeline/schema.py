"""The schema of a saved pipeline's metadata, checked before ``load`` trusts a single field.

``toolkit/meta.json`` inside an archive (and the ``name.json`` spec beside a folder-form
archive) is plain JSON that anyone can edit by hand. ``load`` builds dataclasses and moves
modules from it, so a missing key, a wrong type or an op that is not in the module would
otherwise surface as a raw ``KeyError``/``TypeError`` deep inside ``load``. Here each format
version has an explicit field table, and :func:`check_metadata` returns one sentence per
problem, each naming the field by its JSON path (``ops[0].device``), so the error says
exactly what was changed. No schema library: the tables below are the whole schema.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from toolkit.pipeline.op import SOURCES

__all__ = ["FIELDS", "check_metadata", "SCHEMAS"]

_DEVICE = re.compile(r"^(cpu|cuda:\d+)$")

_STR = (str,)
_BOOL = (bool,)
_LIST = (list,)
_OPTIONAL_STR = (str, type(None))

FIELDS: dict[str, tuple[type, ...]] = {
    "format": _STR,
    "format_version": (int,),
    "name": _STR,
    "inputs": _LIST,
    "outputs": _LIST,
    "ops": _LIST,
    "calls": _LIST,
    "torch_version": _STR,
    "toolkit_version": _STR,
}
"""Version 1's top-level fields and the JSON types each may take (every field is required)."""

_INPUT = {"name": _STR, "type": _STR}
_OUTPUT = {"name": _STR, "depends_on": _LIST}
_OP = {
    "attr": _STR,
    "source": _STR,
    "device": _STR,
    "traced_device": _STR,
    "output_to_cpu": _BOOL,
    "baked_devices": _LIST,
    "location": _OPTIONAL_STR,
}
_CALL = {
    "name": _STR,
    "op": _STR,
    "device": _STR,
    "output_to_cpu": _BOOL,
    "inputs": _LIST,
    "outputs": _LIST,
    "depends_on": _LIST,
}
_STRING_LISTS = {"depends_on", "baked_devices", "inputs", "outputs"}
"""Fields of the items above that are lists of strings."""


def _type_words(types: tuple[type, ...]) -> str:
    words = {str: "a string", int: "an integer", bool: "true or false", list: "a list", type(None): "null"}
    return " or ".join(words[kind] for kind in types)


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_object(value: Any, fields: Mapping[str, tuple[type, ...]], *, where: str, extra: frozenset[str] = frozenset()) -> list[str]:
    """Problems of one JSON object against its field table: missing, unknown and mistyped fields."""
    if not isinstance(value, dict):
        return [f"{where} is {_json_name(value)}, but must be an object with the fields {sorted(fields)}"]
    problems = [f"{where}: the field {key!r} is missing" for key in fields if key not in value]
    problems += [
        f"{where}: the field {key!r} is unknown (the fields are {sorted(fields)})"
        for key in sorted(str(k) for k in value)
        if key not in fields and key not in extra
    ]
    for key, types in fields.items():
        if key in value and not _has_type(value[key], types):
            problems.append(f"{_join(where, key)} is {_json_name(value[key])}, but must be {_type_words(types)}")
        elif key in value and key in _STRING_LISTS and where != "the metadata" and isinstance(value[key], list):
            problems += [
                f"{_join(where, key)}[{i}] is {_json_name(item)}, but must be a string"
                for i, item in enumerate(value[key])
                if not isinstance(item, str)
            ]
    return problems


def _join(where: str, key: str) -> str:
    return key if where == "the metadata" else f"{where}.{key}"


def _check_items(meta: Mapping[str, Any], key: str, fields: Mapping[str, tuple[type, ...]]) -> list[str]:
    items = meta.get(key)
    if not isinstance(items, list):
        return []
    problems: list[str] = []
    for index, item in enumerate(items):
        problems += _check_object(item, fields, where=f"{key}[{index}]")
    return problems


def _devices(meta: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for group in ("ops", "calls"):
        for index, item in enumerate(meta.get(group) or []):
            if not isinstance(item, dict):
                continue
            keys = ("device", "traced_device") if group == "ops" else ("device",)
            for key in keys:
                value = item.get(key)
                if isinstance(value, str) and not _DEVICE.match(value):
                    problems.append(f"{group}[{index}].{key} is {value!r}, but must be 'cpu' or 'cuda:N'")
    return problems


def _references(meta: Mapping[str, Any]) -> list[str]:
    """Cross-field rules: unique op attributes, known sources, calls that name an op that exists."""
    ops = [item for item in meta.get("ops") or [] if isinstance(item, dict)]
    attrs = [item.get("attr") for item in ops]
    problems = [
        f"ops[{index}].attr {attr!r} is used by more than one op" for index, attr in enumerate(attrs) if attrs.index(attr) != index
    ]
    problems += [
        f"ops[{index}].source is {item.get('source')!r}, but must be one of {list(SOURCES)}"
        for index, item in enumerate(ops)
        if isinstance(item.get("source"), str) and item.get("source") not in SOURCES
    ]
    known = {attr for attr in attrs if isinstance(attr, str)}
    for index, call in enumerate(meta.get("calls") or []):
        if isinstance(call, dict) and isinstance(call.get("op"), str) and call["op"] not in known:
            problems.append(f"calls[{index}].op names the op {call['op']!r}, which is not in ops (they are {sorted(known)})")
    if isinstance(meta.get("inputs"), list) and not meta["inputs"]:
        problems.append("inputs is empty, but a pipeline has at least one input")
    return problems


def _check_version_1(meta: Mapping[str, Any], *, extra: frozenset[str]) -> list[str]:
    problems = _check_object(meta, FIELDS, where="the metadata", extra=extra)
    if not isinstance(meta, dict):
        return problems
    problems += _check_items(meta, "inputs", _INPUT)
    problems += _check_items(meta, "outputs", _OUTPUT)
    problems += _check_items(meta, "ops", _OP)
    problems += _check_items(meta, "calls", _CALL)
    return problems + _devices(meta) + _references(meta)


SCHEMAS = {1: _check_version_1}
"""Format version -> its checker; ``load`` refuses versions not listed here."""


def check_metadata(meta: Any, *, version: int, extra: frozenset[str] = frozenset()) -> list[str]:
    """Every problem of ``meta`` against format ``version``'s schema, one sentence each (empty: valid).

    Args:
        meta: the parsed JSON.
        version: a key of :data:`SCHEMAS`.
        extra: further top-level fields allowed (the folder-form spec adds ``archive``).
    """
    return SCHEMAS[version](meta, extra=extra)
