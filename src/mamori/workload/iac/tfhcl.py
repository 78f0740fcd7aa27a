"""python-hcl2's transformer, keeping compound expressions exactly as written.

python-hcl2 7.x renders a function call, a conditional or an operator back to text by
itself, and loses on the way: tuple elements lose their quotes (`concat(["a"])` becomes
`concat([a])`), `null` becomes `None`, the `...` of an expanded argument disappears.
These nodes are replaced by the source text they span (Lark keeps positions), which
`tfexpr` then parses with HCL's own rules.
"""

from __future__ import annotations

from typing import Any

from hcl2.parser import parser
from hcl2.transformer import DictTransformer
from lark import Tree
from lark.tree import Meta
from lark.visitors import v_args


class _SourceTransformer(DictTransformer):
    def __init__(self, text: str, with_meta: bool) -> None:
        super().__init__(with_meta=with_meta)
        self.text = text

    def _source(self, meta: Meta, fallback: Any) -> Any:
        if getattr(meta, "empty", True):
            return fallback
        source = self.text[meta.start_pos : meta.end_pos].strip()
        if source.startswith('"') and source.endswith('"'):  # not to be read as one string
            source = f"({source})"
        return source

    @v_args(meta=True)
    def function_call(self, meta: Meta, args: list[Any]) -> Any:
        return self._source(meta, super().function_call(args))

    @v_args(meta=True)
    def conditional(self, meta: Meta, args: list[Any]) -> Any:
        return self._source(meta, super().conditional(args))

    @v_args(meta=True)
    def binary_op(self, meta: Meta, args: list[Any]) -> Any:
        return self._source(meta, super().binary_op(args))


def loads(text: str, with_meta: bool = False) -> Any:
    """Like `hcl2.api.loads`, with calls, conditionals and operators kept as written."""
    tree: Tree[Any] = parser().parse(text + "\n")
    return _SourceTransformer(text + "\n", with_meta).transform(tree)
