"""How torch.export sees each line a trace loses: does it export, and does the export keep it?

Why: TorchScript is deprecated, so a student fixing a lost branch should learn the fix that
lasts. For each finding the check asks torch.export the same question it asked the trace, on
the same input: the model is exported once (``strict=False``), and the exported program is run
on the finding's counterexample and compared with eager PyTorch. Three answers are possible:

- export refuses the model (at this line, or elsewhere): the refusal explained, with its fix
  (``torch.cond``, ``while_loop``, ``torch._check``, ``Dim``);
- the exported program refuses the counterexample (a size it specialised): declare the size
  dynamic with ``Dim``;
- it runs: it agrees with eager (export keeps the behaviour the trace lost) or it does not
  (export loses it too), with the fix in export terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from toolkit.analysis.lost_flow.findings import Finding
from toolkit.analysis.lost_flow.variants import cloned, compare_outputs, error_line, seed_everything
from toolkit.ir.exporting import ExportFailure, try_export

__all__ = ["ExportView", "export_fix", "export_views"]

# The fix for each category of lost behaviour, said in torch.export's terms.
_EXPORT_FIX = {
    "T1": "write the branch as torch.cond(pred, true_fn, false_fn, (x,)); export keeps both branches as subgraphs",
    "T2": "keep the value a tensor; where a Python number is needed, state its range with torch._check(...)",
    "T3": "write the loop with while_loop (torch._higher_order_ops.while_loop) or map, or a fixed count",
    "T4": "declare the size dynamic: dynamic_shapes={'x': {0: torch.export.Dim('batch')}}",
    "T5": "build tensors from tensors (torch.stack, torch.arange) instead of torch.tensor / .tolist()",
    "T6": "draw with torch RNG ops and keep state in buffers (export lifts buffers into the signature)",
    "T7": "call model.eval() before torch.export.export, or export each mode separately",
}
_GENERIC_FIX = "export the eager module with torch.export.export(model, inputs, strict=False) and check it on this input"


@dataclass(frozen=True)
class ExportView:
    """What torch.export does with one finding's line.

    Attributes:
        exports: whether ``torch.export.export(model, inputs, strict=False)`` succeeded.
        keeps: ``True`` when the exported program agrees with eager on the counterexample,
            ``False`` when it differs or refuses that input, ``None`` when not run.
        detail: what happened, in a sentence.
        fix: the fix in export terms.
    """

    exports: bool
    keeps: bool | None
    detail: str
    fix: str

    def __str__(self) -> str:
        return f"{self.detail} Fix for export: {self.fix}."


def export_fix(category: str) -> str:
    """The fix for a category of lost behaviour, in torch.export's terms."""
    return _EXPORT_FIX.get(category, _GENERIC_FIX)


def export_views(
    fresh: Callable[[], Any], args: tuple, kwargs: dict, findings: tuple[Finding, ...], *, rtol: float, atol: float
) -> tuple[ExportView | None, ...]:
    """One :class:`ExportView` per finding (``None`` for one that is not about a module's line).

    Args:
        fresh: a new eager copy of the model each call (the check's workbench).
        args, kwargs: the example inputs.
        findings: the check's findings.
        rtol, atol: the tolerances the check compares outputs with.
    """
    if not findings or not isinstance(fresh(), torch.nn.Module):
        return tuple(None for _ in findings)
    inputs, kw = cloned(args, kwargs)
    result = try_export(fresh(), inputs, kwargs=kw, draft=False)
    return tuple(_view(result, finding, fresh, rtol=rtol, atol=atol) for finding in findings)


def _view(result: Any, finding: Finding, fresh: Callable[[], Any], *, rtol: float, atol: float) -> ExportView:
    fix = export_fix(finding.category)
    if isinstance(result, ExportFailure):
        here = result.line == finding.line and result.file == finding.file
        where = "this line" if here else (result.where or "a line torch did not name")
        return ExportView(
            exports=False, keeps=None,
            detail=f"torch.export (strict=False) refuses the model at {where}: {result.construct}.",
            fix=result.fix if here else fix,
        )
    cx = finding.counterexample
    if cx is None:
        return ExportView(
            exports=True, keeps=None,
            detail="torch.export (strict=False) exports the model; no counterexample to run it on.", fix=fix,
        )
    seed_everything(0)
    call_args, call_kwargs = cloned(cx.args, cx.kwargs or {})
    try:
        with torch.no_grad():
            expected = fresh()(*call_args, **call_kwargs)
    except Exception as exc:  # noqa: BLE001 - a counterexample for another device or call pattern
        return ExportView(
            exports=True, keeps=None,
            detail="torch.export (strict=False) exports the model; the counterexample cannot be rerun on it"
            f" here (eager PyTorch on the example's device says: {error_line(exc)[:120]}).",
            fix=fix,
        )
    seed_everything(0)
    call_args, call_kwargs = cloned(cx.args, cx.kwargs or {})
    try:
        with torch.no_grad():
            got = result.module()(*call_args, **call_kwargs)
    except Exception as exc:  # noqa: BLE001 - the exported program's guards refuse inputs with many types
        return ExportView(
            exports=True, keeps=False,
            detail=f"torch.export exports the model, but the exported program refuses the counterexample"
            f" ({error_line(exc)[:160]}).",
            fix=fix,
        )
    difference = compare_outputs(expected, got, rtol=rtol, atol=atol)
    if difference is None:
        return ExportView(
            exports=True, keeps=True,
            detail="torch.export exports the model, and on the counterexample the exported program agrees with eager.",
            fix="none needed for export; it keeps this behaviour",
        )
    return ExportView(
        exports=True, keeps=False,
        detail=f"torch.export exports the model, but loses this too: on the counterexample eager gives"
        f" {difference.eager}, the exported program {difference.traced}.",
        fix=fix,
    )
