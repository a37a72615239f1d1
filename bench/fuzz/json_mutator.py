"""A structure-aware mutator for the metadata target: most byte-level mutations of a JSON document break its syntax,
so the reader rejects them and the checks behind it (identity, the template, the value rules) are rarely reached.
Half the time this parses the input, changes one value or key, and writes it back; otherwise it leaves the
mutation to libFuzzer. Deterministic for one seed, as libFuzzer requires."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    2**63,
    -(2**64) - 1,
    10**400,
    1e308,
    float("nan"),
    float("inf"),
    "",
    " ",
    "NaN",
    "none",
    "N/A",
    "\u0000",
    "\ud800",
    "\u202e",
    "x" * 300,
    "1e5",
    "2024",
    "-3",
    "Homo sapiens",
    "true",
    [],
    [[]],
    [None],
    [1, "a", None],
    {},
    {"a": 1},
)
ODD_KEYS = ("", " ", "__index__", "dataset_id", "validation_check", "scope", "\u0000", "x" * 200, "Organism")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document: keys of objects and indexes of arrays, to any depth."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutate(doc: Any, rng: random.Random, template_keys: list[str]) -> Any:
    places = _paths(doc)[1:]
    if not places:
        return {rng.choice(template_keys or list(ODD_KEYS)): rng.choice(ODD_VALUES)}
    place = rng.choice(places)
    parent = doc
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    choice = rng.randrange(6)
    if choice == 0 and isinstance(parent, dict):  # rename the key
        parent[rng.choice([*ODD_KEYS, *template_keys])] = parent.pop(last)
    elif choice == 1:  # a value from elsewhere in the document
        other = rng.choice(places)
        value: Any = doc
        for step in other:
            value = value[step]
        parent[last] = json.loads(json.dumps(value))
    elif choice == 2 and isinstance(parent, dict):  # a new key
        parent[rng.choice([*template_keys, *ODD_KEYS])] = rng.choice(ODD_VALUES)
    elif choice == 3:  # delete
        del parent[last]
    elif choice == 4:  # wrap in an array, or unwrap one
        value = parent[last]
        parent[last] = value[0] if isinstance(value, list) and value else [value]
    else:
        parent[last] = json.loads(json.dumps(rng.choice(ODD_VALUES)))
    return doc


def json_mutator(template_keys: list[str], fallback: Callable[[bytes, int], bytes]) -> Callable[..., bytes]:
    """The custom mutator for atheris.Setup; `fallback` is atheris.Mutate (libFuzzer's own mutations)."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return fallback(data, max_size)
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return fallback(data, max_size)
        doc = _mutate(doc, rng, template_keys)
        out = json.dumps(doc, indent=rng.choice((None, 1)), ensure_ascii=rng.random() < 0.5)
        return out.encode("utf-8", "surrogatepass")[:max_size]

    return mutate
