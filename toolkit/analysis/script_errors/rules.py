"""The rules that read torch's scripting message: which construct, which category, which fix.

Why: torch's messages are precise about the compiler's state ("Expected a value of type
'Tensor (inferred)' for argument 'n'") and silent about the student's mistake ("you did not
annotate ``n``, so it is a Tensor"). Each rule here matches one family of messages and says it
the student's way. Rules are small, ordered and tried first to last; the first that matches
wins. A message no rule matches is "not recognised": the explainer then reports torch's message
at the user's line and guesses nothing.

Each rule's ``construct``, ``reason`` and ``fix`` are templates over the message's named groups
and ``{code}``, the marked source line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["Clue", "Rule", "RULES", "Verdict", "classify"]


@dataclass(frozen=True)
class Clue:
    """What a rule may read.

    Attributes:
        headline: torch's headline (the text before its first quoted frame), one line.
        text: torch's whole message.
        code: the marked source line of the innermost frame, stripped ("" when torch quoted none).
        is_os_error: torch raised ``OSError`` (it could not read a source).
    """

    headline: str
    text: str
    code: str
    is_os_error: bool = False


@dataclass(frozen=True)
class Verdict:
    """A rule's answer (the location is the explainer's business)."""

    rule: str
    category: str
    construct: str
    reason: str
    fix: str
    fix_kind: str


@dataclass(frozen=True)
class Rule:
    """One family of messages.

    Attributes:
        name: a short identifier, for tests and the bench.
        pattern: searched in the headline, then in the whole text when ``whole_text``.
        category, fix_kind: ids from :mod:`toolkit.analysis.script_errors.categories`.
        construct, reason, fix: templates; ``{name}`` is a named group of ``pattern``, ``{code}``
            the marked line; a callable gets the match and the clue and returns the text.
        when: an extra predicate on the match and the clue.
    """

    name: str
    pattern: str
    category: str
    fix_kind: str
    construct: str | Callable[[re.Match, Clue], str]
    reason: str | Callable[[re.Match, Clue], str]
    fix: str | Callable[[re.Match, Clue], str]
    whole_text: bool = False
    when: Callable[[re.Match, Clue], bool] | None = None

    def match(self, clue: Clue) -> Verdict | None:
        found = re.search(self.pattern, clue.headline, re.DOTALL)
        if found is None and self.whole_text:
            found = re.search(self.pattern, clue.text, re.DOTALL)
        if found is None or (self.when is not None and not self.when(found, clue)):
            return None
        return Verdict(
            rule=self.name,
            category=self.category,
            construct=_fill(self.construct, found, clue),
            reason=_fill(self.reason, found, clue),
            fix=_fill(self.fix, found, clue),
            fix_kind=self.fix_kind,
        )


def _fill(template: str | Callable[[re.Match, Clue], str], found: re.Match, clue: Clue) -> str:
    if callable(template):
        return template(found, clue)
    values = {k: (v or "") for k, v in found.groupdict().items()}
    return template.format(code=clue.code, **values)


def classify(clue: Clue) -> Verdict | None:
    """The first rule's verdict on ``clue``, or ``None`` when no rule recognises it."""
    for rule in RULES:
        verdict = rule.match(clue)
        if verdict is not None:
            return verdict
    return None


# --- helpers for the wording ---------------------------------------------------------------


def _varargs_construct(found: re.Match, clue: Clue) -> str:
    if "**" in clue.code:
        return "a `**kwargs` parameter"
    if "*" in clue.code.replace("**", ""):
        return "a `*args` parameter"
    return "a keyword-only parameter with a default"


def _is_tensor_method(found: re.Match, clue: Clue) -> bool:
    return hasattr(torch.Tensor, found.group("attr"))


def _not_tensor_method(found: re.Match, clue: Clue) -> bool:
    return not _is_tensor_method(found, clue)


def _python_object_construct(found: re.Match, clue: Clue) -> str:
    kind = found.group("pytype")
    return f"the attribute `self.{found.group('attr')}`, a Python `{kind}` TorchScript has no type for"


_UNSUPPORTED_NODES = {
    "import statements": "an `import` statement inside compiled code",
    "Yield": "a generator (`yield`)",
    "function definitions": "a function defined inside a compiled function",
    "Set": "a set literal",
    "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension",
    "GeneratorExp": "a generator expression",
    "Await": "an `await`",
    "Nonlocal": "a `nonlocal` statement",
    "Global": "a `global` statement",
    "class definitions": "a class defined inside a compiled function",
    "Starred": "a starred expression (`*x`)",
}


def _unsupported_node(found: re.Match, clue: Clue) -> str:
    node = found.group("node").strip()
    return _UNSUPPORTED_NODES.get(node, f"Python's `{node}` construct")


_ANNOTATE = (
    "Annotate it: write the type TorchScript should use (`n: int = 2`, `scale: float`, `names: List[str]`);"
    " without an annotation every argument is a `Tensor`."
)
_REFINE = (
    "Keep the annotation `Optional[...]` and refine before use: `assert {name} is not None` on the line"
    " before, or put the use under `if {name} is not None:`; TorchScript then knows it is not `None` there."
)


def _optional_name(found: re.Match, clue: Clue) -> str:
    """The variable the student must refine, read from the marked line (``mask`` in ``x + mask``)."""
    code = clue.code.split("#", 1)[0]
    names = re.findall(r"[A-Za-z_][\w.]*", code)
    skip = {"return", "if", "else", "not", "is", "None", "and", "or", "torch", "self"}
    candidates = [n for n in names if n not in skip and not n.startswith("torch.")]
    attribute = found.groupdict().get("method")
    if attribute:
        before = re.search(rf"([A-Za-z_][\w.]*)\.{re.escape(attribute)}\b", code)
        if before:
            return before.group(1)
    return candidates[-1] if candidates else "x"


def _refine_fix(found: re.Match, clue: Clue) -> str:
    return _REFINE.format(name=_optional_name(found, clue))


def _refine_construct(found: re.Match, clue: Clue) -> str:
    return f"an `Optional` value `{_optional_name(found, clue)}` used as if it were never `None`"


# --- the rules, tried in order ---------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    # source not available / a class TorchScript must compile from an attribute
    Rule(
        name="config_class_init",
        pattern=r"Failed to get source for <function (?P<cls>[\w.]+)\.__init__",
        category="invalid_custom_class",
        fix_kind="trace_instead",
        construct="an attribute holding a `{cls}` object (a plain Python class)",
        reason=(
            "TorchScript compiles every attribute of a module into the scripted type, so it tries to compile"
            " `{cls}` as a TorchScript class, starting with its `__init__`; that `__init__` has no source TorchScript"
            " can read (it is generated at run time, as a dataclass's is), and a config class is not TorchScript code anyway."
        ),
        fix=(
            "Trace the model instead (`toolkit.trace(model, example_inputs)`), or script only the submodules"
            " that do not hold the config and trace the rest; in your own modules, copy the few values you need"
            " from the config into plain `int`/`float` attributes in `__init__` instead of keeping the config."
        ),
    ),
    Rule(
        name="source_unavailable",
        pattern=r"(could not get source code|Failed to get source|Can't get source|source code not available|could not find class definition|requires source access|__module__ can't be None)",
        category="source_unavailable",
        fix_kind="move_source_to_file",
        construct="code whose Python source cannot be read",
        reason=(
            "TorchScript compiles Python source text, so it must read the code with `inspect`; code made by"
            " `exec()`, `python -c` or a plain REPL has no source file to read."
        ),
        fix=(
            "Define the class or function in a .py file (and import it) or in a notebook cell, then script it"
            " again; or trace it instead with `toolkit.trace`."
        ),
        whole_text=True,
    ),
    Rule(
        name="builtin_method",
        pattern=r"'builtin_function_or_method' object has no attribute '__globals__'",
        category="source_unavailable",
        fix_kind="rewrite_construct",
        construct="a method that is a builtin function (e.g. `forward = torch.relu`)",
        reason=(
            "TorchScript compiles a method from its Python source and reads the names it uses from its globals;"
            " a builtin such as `torch.relu` is C code with neither, so there is nothing to compile."
        ),
        fix=(
            "Write the method in Python: `def forward(self, x): return torch.relu(x)` (or use `nn.ReLU()` as a"
            " submodule), then script again."
        ),
    ),
    Rule(
        name="uncompilable_generated_name",
        pattern=r"unsupported (?P<escape>hex|unicode) specifier",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a submodule or ModuleDict key whose name holds a control or invisible character",
        reason=(
            "For a ModuleDict (and for other containers) TorchScript writes code of its own that spells each"
            " name as a string literal; Python writes that character as a `\\x`/`\\u` escape, and TorchScript's"
            " lexer cannot read that {escape} escape, so the name cannot be compiled. The line torch marks is"
            " that generated code, not yours."
        ),
        fix=(
            "Rename the submodule or ModuleDict key to a plain identifier (letters, digits and `_`, e.g."
            " `ModuleDict({{'layer_1': ...}})`) and script again; or trace the model instead with `toolkit.trace`."
        ),
        when=lambda found, clue: 'File "<string>"' in clue.text,
    ),
    # unsupported constructs: the frontend's own words
    Rule(
        name="dict_unpacking",
        pattern=r"Dict expansion",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a dict unpacking `{{**d}}`",
        reason="TorchScript builds a dict only from listed keys; it cannot copy another dict's items with `**`.",
        fix=(
            "Build the dict explicitly: `out: Dict[str, Tensor] = {{}}` then `for k, v in d.items(): out[k] = v`"
            " (and add the other keys the same way)."
        ),
    ),
    Rule(
        name="varargs",
        pattern=r"Compiled functions can't take variable number of arguments",
        category="unsupported_construct",
        fix_kind="replace_kwargs",
        construct=_varargs_construct,
        reason=(
            "A compiled function has a fixed signature: TorchScript must know every argument's name and type"
            " when it compiles, so `*args`, `**kwargs` and keyword-only defaults are refused."
        ),
        fix=(
            "Replace them with named, typed arguments, e.g. `mask: Optional[Tensor] = None`, or take a"
            " `List[Tensor]` / `Dict[str, Tensor]` argument."
        ),
    ),
    Rule(
        name="kwargs_call",
        pattern=r"keyword-arg expansion is not supported",
        category="unsupported_construct",
        fix_kind="replace_kwargs",
        construct="a call that unpacks a dict into keyword arguments (`f(**kwargs)`)",
        reason="TorchScript matches every call against a fixed signature when it compiles; the keys of a dict are only known at run time.",
        fix="Pass the arguments by name (`f(x, mask=mask)`), or give the called function a typed `Dict[str, Tensor]` parameter.",
    ),
    Rule(
        name="global_statement",
        pattern=r"global variables aren't supported",
        category="unsupported_construct",
        fix_kind="ignore_or_unused",
        construct="a `global` statement (state kept in a Python global)",
        reason="Compiled code cannot read or write Python's module globals: it runs without the interpreter.",
        fix=(
            "Keep Python-side state in a helper decorated with `@torch.jit.ignore` (it runs in Python), or keep"
            " the value as a module attribute (`self.calls: int = 0`) updated in `forward`."
        ),
    ),
    Rule(
        name="unknown_constant",
        pattern=r"Unknown Constant expression type",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a literal TorchScript has no type for (a `bytes` literal, `...`, a complex number)",
        reason="TorchScript has constants for numbers, strings, booleans and `None` only.",
        fix="Write the value another way: a `str` instead of `bytes`, a slice instead of `...`, or pass it in as a tensor.",
    ),
    Rule(
        name="list_size_unknown",
        pattern=r"cannot statically infer the expected size of a list",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="unpacking or converting a list whose length is known only at run time",
        reason="TorchScript must know a tuple's length when it compiles; starred unpacking (`a, *rest = xs`) and `tuple(...)` of a list or generator give one it cannot know.",
        fix="Index explicitly (`first, second = xs[0], xs[1]`), keep the value a `List[...]`, or build a tuple of fixed length.",
    ),
    Rule(
        name="module_class_in_forward",
        pattern=r"Cannot instantiate class '(?P<cls>\w+)' in a script function",
        category="invalid_custom_class",
        fix_kind="rewrite_construct",
        construct="a module (`{cls}`) created inside compiled code",
        reason="Compiled code can construct TorchScript classes only; a module class such as `{cls}` must exist before compiling.",
        fix="Create the module once in `__init__` (`self.layer = nn.{cls}(...)`) and call `self.layer(x)`, or use the functional form (`torch.nn.functional`).",
    ),
    Rule(
        name="lambda",
        pattern=r"Lambda aren't supported",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a `lambda`",
        reason="TorchScript compiles only named functions with annotated signatures; a lambda has neither.",
        fix="Define a named function (`def add_one(t: Tensor) -> Tensor: ...`) or write the expression inline.",
    ),
    Rule(
        name="try_block",
        pattern=r"try blocks aren't supported",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a `try`/`except` block",
        reason="TorchScript has no exceptions to catch: compiled code can raise, but never `try` or `except`.",
        fix=(
            "Test the condition with `if` before the risky call, or move the part that needs `try` into a"
            " helper decorated with `@torch.jit.ignore` (it then runs in Python and the module cannot be saved)."
        ),
    ),
    Rule(
        name="with_statement",
        pattern=r"(With items|with statements?) (aren't|are not|is not) supported|don't support .*with",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a `with` statement TorchScript does not know",
        reason="TorchScript supports `with` only for a few context managers (`torch.no_grad()` among them).",
        fix="Remove the `with`, or move that block into a helper decorated with `@torch.jit.ignore`.",
    ),
    Rule(
        name="unsupported_node",
        pattern=r"(?P<node>[\w ]+?) aren't supported",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct=_unsupported_node,
        reason="TorchScript compiles a subset of Python, and this construct is outside it.",
        fix=(
            "Rewrite the line with what the subset has (a `for` loop building a list, a helper function at"
            " module level, an import at the top of the file), or move it into a helper decorated with"
            " `@torch.jit.ignore`."
        ),
    ),
    Rule(
        name="comprehension_if",
        pattern=r"Comprehension ifs are not supported",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a comprehension with an `if` filter",
        reason="TorchScript compiles list comprehensions only without a filter (`[f(x) for x in xs]`, no `if`).",
        fix="Write the loop out: `out: List[T] = []`, then `for x in xs:` / `if cond: out.append(f(x))`.",
    ),
    Rule(
        name="python_builtin",
        pattern=r"Python builtin <built-in (function|method) (?P<fn>\w+)[^>]*> is currently not supported",
        category="unsupported_construct",
        fix_kind="ignore_or_unused",
        construct="a call to the Python builtin `{fn}`",
        reason="TorchScript cannot call into arbitrary Python or C functions; only torch ops and a list of builtins compile.",
        fix=(
            "Use the torch equivalent (`torch.sum`, `torch.tensor(...).sum()`, `math.sqrt` is supported), or call it"
            " from a helper decorated with `@torch.jit.ignore`."
        ),
    ),
    Rule(
        name="python_value",
        pattern=r"(?i:python value of type) '(?P<pytype>[^']+)' cannot be used as a value",
        category="dynamic_behaviour",
        fix_kind="ignore_or_unused",
        construct="the Python object `{pytype}` used inside compiled code",
        reason="Compiled code can hold tensors, numbers, strings, lists, dicts, tuples and TorchScript classes, not arbitrary Python objects.",
        fix="Compute that value outside the scripted code and pass it in, or call it from a helper decorated with `@torch.jit.ignore`.",
    ),
    Rule(
        name="python_object_attribute",
        pattern=r"attribute lookup is not defined on python value of type '(?P<pytype>[^']+)'",
        category="unsupported_construct",
        fix_kind="ignore_or_unused",
        construct="a Python `{pytype}` object used inside compiled code",
        reason="Compiled code can read only values TorchScript has a type for; a Python `{pytype}` (held in a global or an attribute) has none.",
        fix="Compute that value outside the scripted code and pass it in, or call the code that needs it from a helper decorated with `@torch.jit.ignore`.",
    ),
    Rule(
        name="super_call",
        pattern=r"object has no attribute or method '(?P<attr>\w+)'",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a `super()` call",
        reason="TorchScript does not compile `super()`: it has no method resolution at run time.",
        fix="Call the base behaviour directly (copy the few lines it needs, or move them into a helper method both classes call).",
        when=lambda found, clue: "super(" in clue.code,
    ),
    Rule(
        name="tensor_method_missing",
        pattern=r"'Tensor( \(inferred\))?' object has no attribute or method '(?P<attr>\w+)'",
        category="unsupported_construct",
        fix_kind="ignore_or_unused",
        construct="the Tensor method `.{attr}()`, which TorchScript does not have",
        reason="Eager tensors have it, but TorchScript's Tensor type does not: it leaves compiled code (NumPy, Python objects).",
        fix=(
            "Keep `.{attr}()` out of the compiled part: do it on the result outside the model, or in a helper"
            " decorated with `@torch.jit.ignore`."
        ),
        when=_is_tensor_method,
    ),
    # default types
    Rule(
        name="default_value_not_tensor",
        pattern=r'Expected a default value of type Tensor \(inferred\) on parameter "(?P<name>\w+)"',
        category="default_types",
        fix_kind="annotate_types",
        construct="the unannotated parameter `{name}` with a non-Tensor default",
        reason=(
            "An argument without an annotation is a `Tensor` to TorchScript, and `{name}`'s default is not a"
            " tensor, so the signature contradicts itself."
        ),
        fix="Annotate it with the type of its default, e.g. `{name}: int = ...` or `{name}: float = ...`.",
    ),
    Rule(
        name="argument_inferred_tensor",
        pattern=(
            r"Expected a value of type 'Tensor \(inferred\)' for argument '(?P<name>\w+)' but instead found type"
            r" '(?P<found>[^']+)'"
        ),
        category="default_types",
        fix_kind="annotate_types",
        construct="a value of type `{found}` passed to the unannotated parameter `{name}` (assumed a Tensor)",
        reason="The called function does not annotate `{name}`, so TorchScript assumes it is a `Tensor`; this call passes a `{found}`.",
        fix="Annotate the parameter in the called function's signature: `{name}: {found}`.",
        whole_text=True,
    ),
    Rule(
        name="inferred_value_used",
        pattern=r"(found (type )?'?(?P<type>[\w\[\], ]+) \(inferred\)|(?P<type2>[\w\[\], ]+) \(inferred\) cannot be used as)",
        category="default_types",
        fix_kind="annotate_types",
        construct="an unannotated argument used as something other than a Tensor",
        reason="The argument has no annotation, so TorchScript assumes it is a `Tensor`, and this line uses it as another type.",
        fix=_ANNOTATE,
        whole_text=True,
    ),
    Rule(
        name="inferred_object_attribute",
        pattern=r"'(?P<type>[^']+) \(inferred\)' object has no attribute or method '(?P<attr>\w+)'",
        category="default_types",
        fix_kind="annotate_types",
        construct="`.{attr}` on an unannotated argument (assumed a `{type}`)",
        reason="The argument has no annotation, so TorchScript assumes it is a `{type}`, and a `{type}` has no `{attr}`.",
        fix=_ANNOTATE,
        when=_not_tensor_method,
    ),
    Rule(
        name="hasattr_inferred",
        pattern=r"hasattr's first argument must be an object or NamedTuple, got (?P<type>[^ ]+) \(inferred\)",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="`hasattr` on a value whose type is only known at run time",
        reason="TorchScript decides every attribute at compile time; asking at run time whether a value has one is Python-only.",
        fix="Give the argument its real type, or decide in `__init__` (store a `bool` attribute) instead of asking at run time.",
    ),
    # Optional refinement
    Rule(
        name="optional_method",
        pattern=r"'Optional\[[^']+\]' object has no attribute or method '(?P<method>\w+)'",
        category="optional_refinement",
        fix_kind="refine_optional",
        construct=_refine_construct,
        reason="The value is `Optional`: it may be `None`, and TorchScript only lets you use it once the code has checked.",
        fix=_refine_fix,
    ),
    Rule(
        name="optional_argument",
        pattern=r"(found (type )?'?(Optional\[|NoneType)|index type 'Optional\[|^Optional\[.*\] cannot be used)",
        category="optional_refinement",
        fix_kind="refine_optional",
        construct=_refine_construct,
        reason="The value is `Optional` (or `None` here): it may be `None`, and TorchScript only lets you use it once the code has checked.",
        fix=_refine_fix,
        whole_text=True,
    ),
    # dynamic behaviour
    Rule(
        name="getattr_dynamic",
        pattern=r"getattr's second argument must be a string literal",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="a `getattr` with a name computed at run time",
        reason="TorchScript resolves attributes when it compiles, so the name must be written in the code.",
        fix="Write the attribute directly, or choose among the few names with `if name == \"relu\": ...`; decide in `__init__` when you can.",
    ),
    Rule(
        name="module_list_index",
        pattern=r"Expected integer literal for index",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="indexing a `ModuleList`/`Sequential` with a variable",
        reason="Each submodule may have a different type, so TorchScript must know at compile time which one `[i]` picks.",
        fix="Loop over it instead: `for layer in self.layers: x = layer(x)` (or `for i, layer in enumerate(self.layers):`).",
    ),
    Rule(
        name="set_new_attribute",
        pattern=r"Tried to set nonexistent attribute: (?P<attr>\w+)",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="a new attribute `self.{attr}` created in a compiled method",
        reason="A scripted module's attributes and their types are fixed when it is compiled; a method cannot add one.",
        fix="Create `self.{attr}` in `__init__` with a value of the type it will hold (annotate it if it may be `None`).",
    ),
    Rule(
        name="callable_value",
        pattern=r"cannot call a value of type '(?P<type>[^']+)'",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="a call of a value chosen at run time (`{code}`)",
        reason="TorchScript must know at compile time which function a call runs; this value is a `{type}`, not a function.",
        fix="Call the function or module by name, or pick it in `__init__` and store a submodule.",
    ),
    Rule(
        name="attribute_python_function",
        pattern=r"Module '(?P<module>\w+)' has no attribute '(?P<attr>\w+)' \(This function exists as an attribute",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="a function (or lambda) stored as the attribute `self.{attr}`",
        reason="TorchScript compiles a function attribute as a top-level function; a lambda or closure stored on the module is not one.",
        fix="Define a named function at module level and call it, or make it a method (or a submodule such as `nn.ReLU()`).",
    ),
    Rule(
        name="empty_container_attribute",
        pattern=r"Module '(?P<module>\w+)' has no attribute '(?P<attr>\w+)' \(This attribute exists on the Python module, but we failed to convert Python type: '(?P<pytype>list|dict)'.*(must have elements|empty)",
        category="default_types",
        fix_kind="annotate_types",
        construct="the empty `{pytype}` attribute `self.{attr}`, whose element type TorchScript cannot infer",
        reason="TorchScript infers an attribute's type from its value, and an empty `{pytype}` says nothing about its elements.",
        fix="Annotate the attribute in `__init__`: `self.{attr}: List[str] = []` (or `Dict[str, int] = {{}}`, with the types it holds).",
    ),
    Rule(
        name="attribute_class_instance",
        pattern=r"Module '(?P<module>\w+)' has no attribute '(?P<attr>\w+)' \(This attribute exists on the Python module, but we failed to convert Python type: '(?P<pytype>[\w]+(\.[\w]+)+)'",
        category="invalid_custom_class",
        fix_kind="fix_custom_class",
        construct=lambda found, clue: (
            f"the attribute `self.{found.group('attr')}`, an object of the class `{found.group('pytype').rsplit('.', 1)[-1]}`"
        ),
        reason=(
            "To hold this attribute TorchScript must compile `{pytype}` as a TorchScript class, and it could not:"
            " the class needs typed fields and supported methods, and its source must be found (a class defined in a"
            " notebook cell or by `exec` has none that `inspect` can find on this Python)."
        ),
        fix=(
            "Copy the values you need into plain attributes in `__init__` (`self.gain = settings.gain`), or define"
            " the class, with annotated `__init__` arguments, in a .py file and import it."
        ),
    ),
    Rule(
        name="attribute_custom_object",
        pattern=r"Module '(?P<module>\w+)' has no attribute '(?P<attr>\w+)' \(This attribute exists on the Python module, but we failed to convert Python type: '(?P<pytype>[^']+)'",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct=_python_object_construct,
        reason="Every attribute a compiled method reads must have one TorchScript type; this one holds Python objects (functions, mixed values) that have none.",
        fix="Hold only tensors, numbers, strings and typed lists/dicts of them, or submodules; pick functions in `__init__` (`self.act = nn.ReLU()`).",
    ),
    Rule(
        name="missing_attribute",
        pattern=r"Module '(?P<module>\w+)' has no attribute '(?P<attr>\w+)'",
        category="dynamic_behaviour",
        fix_kind="rewrite_construct",
        construct="the attribute `self.{attr}`, which the module does not have when it is scripted",
        reason="TorchScript reads the module's attributes once, when it compiles; an attribute created later (or only sometimes) does not exist for it.",
        fix="Create `self.{attr}` in `__init__` (with `None` and an `Optional[...]` annotation if it has no value yet).",
        when=lambda found, clue: not (found.group("attr").startswith("__") and not found.group("attr").endswith("__")),
    ),
    # custom classes
    Rule(
        name="custom_class_attribute",
        pattern=r"Could not cast attribute '(?P<attr>\w+)' to type (?P<type>[\w.]+)[^:]*: (?P<detail>.*)",
        category="invalid_custom_class",
        fix_kind="fix_custom_class",
        construct=lambda found, clue: (
            f"the attribute `self.{found.group('attr')}`, an object of the class"
            f" `{found.group('type').rsplit('.', 1)[-1]}` TorchScript compiles as a TorchScript class"
        ),
        reason=(
            "TorchScript compiles the object's class as a TorchScript class, whose fields have one static type"
            " each; here it says: {detail}"
        ),
        fix=(
            "Annotate the class's `__init__` arguments and fields with the types they hold (`def __init__(self, a: int)`,"
            " `self.a: int = a`), or keep the object out of the module (store its values as plain attributes)."
        ),
    ),
    # type checking
    Rule(
        name="custom_class_missing_attribute",
        pattern=r"'__torch__\.[\w.]+ \(of Python compilation unit[^']*' object has no attribute or method '(?P<attr>\w+)'",
        category="invalid_custom_class",
        fix_kind="fix_custom_class",
        construct="the field `self.{attr}`, which the TorchScript class does not define in its own `__init__`",
        reason="A TorchScript class has exactly the fields its own `__init__` assigns; it cannot inherit fields from a base class or read class-level attributes.",
        fix="Assign `self.{attr}` in the class's own `__init__` (no base class, no class-level attribute), with a type annotation if needed.",
    ),
    Rule(
        name="object_without_method",
        pattern=r"'(?P<type>[^']+)' object has no attribute or method '(?P<attr>\w+)'",
        category="type_checking",
        fix_kind="annotate_types",
        construct="`.{attr}` on a value of type `{type}`, which has no such method",
        reason="TorchScript knows this value's static type, `{type}`, and that type has no `{attr}` (in Python the value may have been another type).",
        fix="Annotate the value with the type that has `.{attr}` (a `Tensor`, say), or use a function that works on a `{type}` (`max(values)` for a list).",
    ),
    Rule(
        name="bare_container_annotation",
        pattern=r"Attempted to use (?P<kind>Dict|List|Tuple|Optional) without contained types",
        category="type_checking",
        fix_kind="annotate_types",
        construct="a bare `{kind}` annotation, without its element types",
        reason="TorchScript needs the element types of every container: a bare `{kind}` does not say them.",
        fix="Write them out: `Dict[str, Tensor]`, `List[int]`, `Tuple[Tensor, Tensor]`, `Optional[Tensor]`.",
        whole_text=True,
    ),
    Rule(
        name="variable_changes_type",
        pattern=r"Variable '(?P<name>\w+)' previously had type (?P<before>.+?) but is now being assigned to a value of type (?P<after>.+?)\s*$",
        category="type_checking",
        fix_kind="annotate_types",
        construct="the variable `{name}` changing type ({before}, then {after})",
        reason="Every variable in compiled code has one static type for its whole life; `{name}` is first given a value of type `{before}`, later one of type `{after}`.",
        fix="Give it one type from the start: annotate `{name}: {after} = ...` at its first assignment, or use a new name for the other value.",
    ),
    Rule(
        name="annotation_mismatch",
        pattern=r"Variable '(?P<name>\w+)' is annotated with type (?P<ann>.+?) but is being assigned to a value of type (?P<val>.+?)\s*$",
        category="type_checking",
        fix_kind="annotate_types",
        construct="the annotated variable `{name}` given a value of another type",
        reason="`{name}` is annotated `{ann}`, and the value assigned is a `{val}`; TorchScript checks the two agree.",
        fix="Make the annotation and the value agree: change the annotation to `{val}` or the value to a `{ann}`.",
    ),
    Rule(
        name="not_iterable",
        pattern=r"'(?P<type>[\w\[\], ]+)' object is not iterable",
        category="type_checking",
        fix_kind="annotate_types",
        construct="a loop over a value of type `{type}`, which cannot be iterated",
        reason="TorchScript iterates only over lists, tuples, dicts, strings, tensors, `range(...)` and module containers; this value is a `{type}`.",
        fix="Loop over `range(n)` for a count, or give the value the container type it should have (`xs: List[Tensor]`).",
    ),
    Rule(
        name="raise_non_exception",
        pattern=r"exceptions must derive from BaseException",
        category="type_checking",
        fix_kind="rewrite_construct",
        construct="a `raise` of a value that is not an exception",
        reason="Compiled code can raise only exceptions (`raise ValueError(\"...\")`).",
        fix="Raise an exception object: `raise RuntimeError(\"what went wrong\")`.",
    ),
    Rule(
        name="empty_dict",
        pattern=r"Could not match type Dict\[str, Tensor\]",
        category="default_types",
        fix_kind="annotate_types",
        construct="an empty dict `{{}}`, which TorchScript assumes maps `str` to `Tensor`",
        reason="TorchScript types a dict when it is created; an empty dict with no annotation is a `Dict[str, Tensor]`.",
        fix="Annotate the empty dict with what it will hold: `out: Dict[int, Tensor] = {{}}` (or the key and value types you use).",
        whole_text=True,
        when=lambda found, clue: "{}" in clue.code or "dict()" in clue.code or "[" in clue.code,
    ),
    Rule(
        name="empty_list",
        pattern=r"previously matched to type Tensor is matched to type (?P<type>\w+)|Empty lists default to List\[Tensor\]",
        category="default_types",
        fix_kind="annotate_types",
        construct="an empty list `[]`, which TorchScript assumes holds Tensors",
        reason="TorchScript types a list when it is created; an empty list with no annotation is a `List[Tensor]`.",
        fix="Annotate the empty list with what it will hold: `out: List[int] = []` (or `List[float]`, `List[str]`...).",
        whole_text=True,
        when=lambda found, clue: found.group("type") is not None or "[]" in clue.code,
    ),
    Rule(
        name="tolist_hint",
        pattern=r"Expected type hint for result of tolist",
        category="type_checking",
        fix_kind="annotate_types",
        construct="`.tolist()` without a type for its result",
        reason="TorchScript cannot know the depth and element type of the list `.tolist()` returns.",
        fix="Annotate the assignment: `values: List[float] = x.tolist()` (`List[List[float]]` for a 2-d tensor).",
    ),
    Rule(
        name="unknown_annotation",
        pattern=r"Unknown type (annotation|name|constructor)[: ]+'?(?P<name>[\w.\[\], ]+)",
        category="type_checking",
        fix_kind="annotate_types",
        construct="the annotation `{name}`, which TorchScript does not know",
        reason="TorchScript understands a fixed set of types (Tensor, int, float, bool, str, List, Dict, Tuple, Optional, classes it compiles).",
        fix="Use a type from that set (e.g. `Tensor`, `List[Tensor]`, `Optional[int]`).",
        whole_text=True,
    ),
    Rule(
        name="return_type",
        pattern=r"(Previous return statement returned a value of type|Return value was annotated as having type)",
        category="type_checking",
        fix_kind="annotate_types",
        construct="return statements that return different types",
        reason="A compiled function returns one static type; its `return` statements disagree.",
        fix="Return one type everywhere (annotate `-> Optional[Tensor]` if one path returns `None`).",
    ),
    Rule(
        name="call_arguments",
        pattern=r"(Arguments for call are not valid|Expected a value of type '(?P<expected>[^']+)' for argument '(?P<arg>\w+)' but instead found type '(?P<found>[^']+)')",
        category="type_checking",
        fix_kind="rewrite_construct",
        construct="a call whose argument types match none of the function's signatures (`{code}`)",
        reason="TorchScript checks every call against the function's typed signatures at compile time, and the types here match none of them.",
        fix="Convert the value to the type the call expects (`int(...)` of a float, a `str` key for a `Dict[str, ...]`), or change the container's annotation.",
        whole_text=True,
    ),
    Rule(
        name="not_supported",
        pattern=r"^(?P<what>[^:]{3,80}?) (is|are) (currently )?not supported",
        category="unsupported_construct",
        fix_kind="rewrite_construct",
        construct="{what} (torch's words)",
        reason="TorchScript compiles a subset of Python, and torch says this is outside it.",
        fix=(
            "Rewrite the marked line with what the subset has, or move it into a helper decorated with"
            " `@torch.jit.ignore` (it then runs in Python)."
        ),
    ),
    # the fallback for code inside a TorchScript class
    Rule(
        name="class_compile",
        pattern=r"is being compiled since it was called from '__torch__\.",
        category="invalid_custom_class",
        fix_kind="fix_custom_class",
        construct="a method of a class TorchScript compiles as a TorchScript class",
        reason="Every method of a class used in compiled code is compiled too, and this one is outside the TorchScript subset.",
        fix="Fix the marked line of the class (annotate its arguments, use only supported operations), or keep the class out of compiled code.",
        whole_text=True,
    ),
)
