"""Resolving the template a run validates against, from whatever a caller holds: a Template, a parsed schema
document, or a path to a schema document or a flat `dataset_metadata_template` file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validators.core.template import Template, TemplateError, load_template

TemplateSource = Template | str | Path | Mapping[str, Any]


def load_template_file(path: Path, *, source: str | None = None, data_type: str | None = None) -> Template:
    """A template from a schema document, a bare schema mapping or a flat `dataset_metadata_template` file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TemplateError(f"template file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"template file {path} cannot be read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"template file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    return load_template(document, name=path.name, source=source, data_type=data_type)


def as_template(template: TemplateSource, source: str | None, data_type: str | None) -> Template:
    if isinstance(template, Template):
        return template
    if isinstance(template, Mapping):
        return load_template(template, name="template", source=source, data_type=data_type)
    return load_template_file(Path(template), source=source, data_type=data_type)
