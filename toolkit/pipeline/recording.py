"""Which pipeline trace, if any, is recording InferenceOp calls in this thread.

``trace`` runs the user's function on fx proxies; every InferenceOp call made meanwhile must be
recorded as graph nodes instead of run. The recorder is held in a ``ContextVar`` set only for
the duration of one trace, so eager calls in other threads (or after the trace) never see it,
and an InferenceOp needs one cheap lookup per call to know which path to take.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Iterator, Protocol

if TYPE_CHECKING:
    from toolkit.pipeline.op import InferenceOp

__all__ = ["Recorder", "active_recorder", "recording"]


class Recorder(Protocol):
    """Something that turns an InferenceOp call into graph nodes."""

    def record(self, op: "InferenceOp", args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Records ``op(*args, **kwargs)`` and returns the proxies of its outputs."""


active_recorder: ContextVar["Recorder | None"] = ContextVar("toolkit_pipeline_recorder", default=None)


@contextmanager
def recording(recorder: Recorder) -> Iterator[None]:
    """Makes ``recorder`` receive this context's InferenceOp calls until the block ends."""
    token = active_recorder.set(recorder)
    try:
        yield
    finally:
        active_recorder.reset(token)
