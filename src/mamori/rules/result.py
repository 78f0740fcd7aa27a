"""Load results: typed errors and warnings with positions, as Falco reports them.

Codes and their one-line descriptions are Falco's (``falco_load_result.cpp``), so a
message from ``mamori rules validate`` reads like ``falco -V`` output and a test can
compare the two. Loading never raises on bad rules content: every problem becomes a
`LoadMessage` in the `LoadResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    LOAD_ERR_FILE_READ = "LOAD_ERR_FILE_READ"
    LOAD_ERR_YAML_PARSE = "LOAD_ERR_YAML_PARSE"
    LOAD_ERR_YAML_VALIDATE = "LOAD_ERR_YAML_VALIDATE"
    LOAD_ERR_COMPILE_CONDITION = "LOAD_ERR_COMPILE_CONDITION"
    LOAD_ERR_COMPILE_OUTPUT = "LOAD_ERR_COMPILE_OUTPUT"
    LOAD_ERR_VALIDATE = "LOAD_ERR_VALIDATE"
    LOAD_ERR_EXTENSION = "LOAD_ERR_EXTENSION"


class WarningCode(StrEnum):
    LOAD_UNKNOWN_SOURCE = "LOAD_UNKNOWN_SOURCE"
    LOAD_UNSAFE_NA_CHECK = "LOAD_UNSAFE_NA_CHECK"
    LOAD_NO_EVTTYPE = "LOAD_NO_EVTTYPE"
    LOAD_UNKNOWN_FILTER = "LOAD_UNKNOWN_FILTER"
    LOAD_UNUSED_MACRO = "LOAD_UNUSED_MACRO"
    LOAD_UNUSED_LIST = "LOAD_UNUSED_LIST"
    LOAD_UNKNOWN_ITEM = "LOAD_UNKNOWN_ITEM"
    LOAD_DEPRECATED_ITEM = "LOAD_DEPRECATED_ITEM"
    LOAD_WARNING_EXTENSION = "LOAD_WARNING_EXTENSION"
    LOAD_APPEND_NO_VALUES = "LOAD_APPEND_NO_VALUES"
    LOAD_EXCEPTION_NAME_NOT_UNIQUE = "LOAD_EXCEPTION_NAME_NOT_UNIQUE"
    LOAD_INVALID_MACRO_NAME = "LOAD_INVALID_MACRO_NAME"
    LOAD_INVALID_LIST_NAME = "LOAD_INVALID_LIST_NAME"
    LOAD_COMPILE_CONDITION = "LOAD_COMPILE_CONDITION"
    LOAD_UNKNOWN_KEY = "LOAD_UNKNOWN_KEY"


DESCRIPTIONS: dict[str, str] = {
    "LOAD_ERR_FILE_READ": "File read error",
    "LOAD_ERR_YAML_PARSE": "YAML parse error",
    "LOAD_ERR_YAML_VALIDATE": "Error validating internal structure of YAML file",
    "LOAD_ERR_COMPILE_CONDITION": "Error compiling condition",
    "LOAD_ERR_COMPILE_OUTPUT": "Error compiling output",
    "LOAD_ERR_VALIDATE": "Error validating rule/macro/list/exception objects",
    "LOAD_ERR_EXTENSION": "Error in extension item",
    "LOAD_UNKNOWN_SOURCE": "Unknown event source",
    "LOAD_UNSAFE_NA_CHECK": "Unsafe <NA> comparison in condition",
    "LOAD_NO_EVTTYPE": "Condition has no event-type restriction",
    "LOAD_UNKNOWN_FILTER": "Unknown field or event-type in condition or output",
    "LOAD_UNUSED_MACRO": "Unused macro",
    "LOAD_UNUSED_LIST": "Unused list",
    "LOAD_UNKNOWN_ITEM": "Unknown rules file item",
    "LOAD_DEPRECATED_ITEM": "Used deprecated item",
    "LOAD_WARNING_EXTENSION": "Warning in extension item",
    "LOAD_APPEND_NO_VALUES": "Overriding/appending with no values",
    "LOAD_EXCEPTION_NAME_NOT_UNIQUE": "Multiple exceptions defined with the same name",
    "LOAD_INVALID_MACRO_NAME": "Invalid macro name",
    "LOAD_INVALID_LIST_NAME": "Invalid list name",
    "LOAD_COMPILE_CONDITION": "Warning in rule condition",
    "LOAD_UNKNOWN_KEY": "Unknown key in item definition",
}


@dataclass(frozen=True, slots=True)
class Position:
    """Where in which rules content: 1-based line and column of the YAML node (0 =
    unknown), and for condition errors the 0-based offset inside the condition text
    (-1 = none), since a folded YAML scalar does not map back to lines exactly."""

    source: str
    line: int = 0
    column: int = 0
    offset: int = -1

    def __str__(self) -> str:
        if not self.line:
            return self.source
        at = f" (condition offset {self.offset})" if self.offset >= 0 else ""
        return f"{self.source}:{self.line}:{self.column}{at}"

    def at(self, offset: int) -> Position:
        return Position(self.source, self.line, self.column, offset)


@dataclass(frozen=True, slots=True)
class LoadMessage:
    """One error or warning, tied to the item (``rule``/``macro``/``list``...) it is about."""

    code: ErrorCode | WarningCode
    message: str
    item_type: str = ""
    item_name: str = ""
    position: Position | None = None

    @property
    def is_error(self) -> bool:
        return isinstance(self.code, ErrorCode)

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        item = f" ({self.item_type} '{self.item_name}')" if self.item_type else ""
        return f"{where}{self.code.value}{item}: {self.message}"


@dataclass(slots=True)
class LoadResult:
    """Everything loading one or more rules contents reported."""

    errors: list[LoadMessage] = field(default_factory=list)
    warnings: list[LoadMessage] = field(default_factory=list)

    @property
    def successful(self) -> bool:
        return not self.errors

    def add(self, msg: LoadMessage) -> None:
        (self.errors if msg.is_error else self.warnings).append(msg)

    def error(
        self,
        code: ErrorCode,
        message: str,
        item_type: str = "",
        item_name: str = "",
        position: Position | None = None,
    ) -> None:
        self.errors.append(LoadMessage(code, message, item_type, item_name, position))

    def warn(
        self,
        code: WarningCode,
        message: str,
        item_type: str = "",
        item_name: str = "",
        position: Position | None = None,
    ) -> None:
        self.warnings.append(LoadMessage(code, message, item_type, item_name, position))
