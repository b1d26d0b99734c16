"""Safe YAML reading that remembers the line of every value, so errors can name file:line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["YES_NO_HINT", "Issue", "YamlDoc", "read_yaml", "validate"]

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
YES_NO_HINT = " (YAML reads a bare yes/no/on/off as true/false: write the word in quotes, like \"yes\")"
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


@dataclass(frozen=True, order=True)
class Issue:
    """One problem found in content: errors block a load, warnings do not."""

    file: str
    line: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class YamlDoc:
    path: Path
    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def line_of(self, loc: Path_) -> int:
        """The line of the deepest part of `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1

    def issue(self, loc: Path_, message: str, severity: str = "error") -> Issue:
        return Issue(str(self.path), self.line_of(loc), severity, message)


def read_yaml(path: Path) -> YamlDoc:
    doc = YamlDoc(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc.issues.append(Issue(str(path), 1, "error", f"cannot read the file: {exc}"))
        return doc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _construct(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        doc.issues.append(Issue(str(path), line, "error", f"YAML syntax: {exc.problem or exc}"))
        doc.data = None
    except yaml.YAMLError as exc:
        doc.issues.append(Issue(str(path), 1, "error", f"YAML syntax: {exc}"))
        doc.data = None
    finally:
        loader.dispose()
    return doc


def _construct(loader: yaml.SafeLoader, node: yaml.Node, loc: Path_, doc: YamlDoc) -> Any:
    doc.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                doc.issues.append(doc.issue(loc, f"a key must be a plain word, not {key!r}"))
                continue
            if key in result:
                doc.issues.append(
                    Issue(str(doc.path), key_node.start_mark.line + 1, "error", f"duplicate key {key!r}")
                )
            result[key] = _construct(loader, value_node, (*loc, key), doc)
            doc.lines[(*loc, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, (*loc, i), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def validate(doc: YamlDoc, model: type[M]) -> M | None:
    """The file's data as `model`, or None with every problem added to `doc.issues` at its line."""
    if doc.data is None:
        if not doc.issues:
            doc.issues.append(doc.issue((), "the file is empty"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            where = ".".join(str(p) for p in loc) or "(top level)"
            hint = YES_NO_HINT if isinstance(err.get("input"), bool) else ""
            doc.issues.append(doc.issue(loc, f"{where}: {err['msg']}{hint}"))
        return None
