"""The workbook's JSON Schema, as published in docs/workbook.schema.json.

Generated from the pydantic models, then widened where the models accept short forms
(``"C"``, ``"B-C"``, ``350``, ``{min, max}``) before validation.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from natrisk.domain.edition import FORMAT, Workbook
from natrisk.domain.stacking import PROBABILITY_CLASSES, Compound, Link, Region, Risk

_NUMBER = {"type": "number"}
_RANGE = {
    "type": "object",
    "properties": {"min": _NUMBER, "max": _NUMBER},
    "required": ["min", "max"],
    "additionalProperties": False,
}
_QUANTITY = {
    "anyOf": [_NUMBER, _RANGE],
    "description": "A number or {min, max} in the criterion's unit.",
}
_CLASS = {
    "type": "string",
    "description": (
        "An impact or likelihood class ('C'), a class range ('B-C'), 'X' for none, or a "
        "likelihood placed inside its class ('B-high')."
    ),
}
_POSITION = {"enum": ["low", "middle", "high"], "description": "Where inside its class."}
_THREE_POINT = {
    "expected": {**_CLASS, "description": "The expected class of a three-point estimate."},
    "low": {**_CLASS, "description": "The lower limit (a class)."},
    "high": {**_CLASS, "description": "The upper limit (a class)."},
}
_GROUNDS = {
    "rationale": {"type": "string", "maxLength": 20000},
    "sources": {"type": "array", "items": {"type": "string"}},
}


def workbook_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a natrisk/1 workbook in the form analysts write it."""
    schema = copy.deepcopy(Workbook.model_json_schema())
    defs = schema["$defs"]
    defs["Score"] = {
        "description": "Impact on one criterion: a class, a class range, a quantity, or the full form.",
        "anyOf": [
            _CLASS,
            _QUANTITY,
            {
                "type": "object",
                "properties": {
                    "class": _CLASS,
                    "quantity": {
                        "anyOf": [
                            _NUMBER,
                            _RANGE,
                            {"type": "object", "additionalProperties": _QUANTITY},
                        ],
                        "description": "A quantity, or one quantity per axis of a two-dimensional criterion.",
                    },
                    "min": _NUMBER,
                    "max": _NUMBER,
                    **_THREE_POINT,
                    "classification": {"type": ["string", "null"]},
                    **_GROUNDS,
                },
                "additionalProperties": False,
            },
        ],
    }
    defs["Likelihood"] = {
        "description": "A likelihood class or range, or a probability (or {min, max}) over the framework's horizon.",
        "anyOf": [
            _CLASS,
            {"type": "number", "minimum": 0, "maximum": 1},
            _RANGE,
            {
                "type": "object",
                "properties": {
                    "class": _CLASS,
                    "probability": {"anyOf": [_NUMBER, _RANGE]},
                    "min": _NUMBER,
                    "max": _NUMBER,
                    **_THREE_POINT,
                    "position": _POSITION,
                    "low_position": _POSITION,
                    "high_position": _POSITION,
                    **_GROUNDS,
                },
                "additionalProperties": False,
            },
        ],
    }
    defs.pop("Range", None)
    _stacking_sections(schema)
    schema["properties"]["format"] = {"const": FORMAT, "default": FORMAT}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://natrisk.example/schema/workbook-1.json"
    schema["title"] = "natrisk workbook (one edition of a risk picture)"
    return schema


_SECTIONS: dict[str, tuple[Any, str]] = {
    "risks": (list[Risk], "Risks drawn as their intensity variants, lowest intensity first."),
    "links": (list[Link], "Cascade links: scenario 'from' can cause scenario 'to'."),
    "compounds": (list[Compound], "Compound scenarios: scenarios that strike together."),
    "region": (Region, "A regional edition's mapping onto national scenarios or risks."),
}


def _stacking_sections(schema: dict[str, Any]) -> None:
    """The top-level sections on how threats combine (docs/method.md §10)."""
    for key, (kind, text) in _SECTIONS.items():
        part = TypeAdapter(kind).json_schema(by_alias=True, ref_template="#/$defs/{model}")
        schema["$defs"].update(part.pop("$defs", {}))
        schema["properties"][key] = {**part, "description": text}
    schema["$defs"]["Link"]["properties"]["probability"] = {
        "description": (
            "The conditional probability that 'from' sets off 'to': a number between 0 and 1, "
            "or a class of the Belgian national risk assessment's scale."
        ),
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": 1},
            {"enum": list(PROBABILITY_CLASSES)},
        ],
    }
