"""The kinds of scripting failure, and the kinds of fix, that every explanation is labelled with.

The first six categories are the causes PyTorch's own usability study sorted TorchScript users'
problems into (pytorch/pytorch#50751); two more cover a source the compiler cannot read and a
message the explainer has no rule for. The fix kinds are the remedies a student can apply; each
explanation names exactly one, with the concrete text in its ``fix``.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "FIX_KINDS", "NOT_RECOGNISED"]

NOT_RECOGNISED = "not_recognised"

CATEGORIES: dict[str, str] = {
    "type_checking": "type checking",
    "dynamic_behaviour": "dynamic behaviour",
    "default_types": "default types (an unannotated argument is a Tensor)",
    "unsupported_construct": "unsupported construct",
    "optional_refinement": "type refinement of Optional",
    "invalid_custom_class": "invalid custom class",
    "source_unavailable": "source not available",
    NOT_RECOGNISED: "not recognised",
}

FIX_KINDS: dict[str, str] = {
    "annotate_types": "annotate the types TorchScript cannot infer (arguments, variables, empty containers)",
    "refine_optional": "annotate `Optional[T]` and refine it with `assert x is not None` or `if x is not None:`",
    "ignore_or_unused": "keep the Python-only code out of the compiled part with `@torch.jit.ignore` or `@torch.jit.unused`",
    "replace_kwargs": "replace `*args` / `**kwargs` by named, typed arguments",
    "script_if_tracing": "put the part that needs control flow in a helper decorated with `@torch.jit.script_if_tracing`",
    "hybrid_script_submodule": "script the submodules that compile and trace the rest (a hybrid)",
    "trace_instead": "trace the model instead of scripting it",
    "rewrite_construct": "rewrite the construct with what the TorchScript subset has",
    "move_source_to_file": "define the code in a .py file or a notebook cell, where its source can be read",
    "fix_custom_class": "make the class TorchScript compiles a valid TorchScript class (typed fields, supported methods)",
}
