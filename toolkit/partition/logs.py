"""What ``toolkit.partition.trace`` logs, and the one rule for where the log lines go.

torch-neuron tells what it compiled and what falls back in its log (the seed's manual-partitioning
example reads it: ``aten::_convolution`` and ``aten::add`` compiled, ``aten::mul`` not). We log the
same facts through :mod:`logging`, on the logger named ``"toolkit.partition"`` (:data:`LOGGER_NAME`),
at INFO, one line per fact, worded like the plan's summary.

Where the lines go (the least surprising rule we found; a library normally configures nothing):

- **In a notebook kernel**, the first ``trace`` call attaches one handler to that logger (level INFO,
  ``INFO:toolkit.partition:...`` on stderr, not propagated, so never printed twice) *unless logging
  is already configured*: a handler on the logger or on the root logger, or a level set on the
  logger. Configure it before the first call and the toolkit leaves it alone; silence it afterwards
  with ``logging.getLogger("toolkit.partition").setLevel(logging.WARNING)``.
- **Anywhere else** (scripts, pytest, the GPU machines) nothing is attached: INFO lines go nowhere,
  as for any library, until you configure logging (``logging.basicConfig(level=logging.INFO)``) or
  ask for them (pytest's ``caplog.set_level(logging.INFO, logger="toolkit.partition")``).

Nothing happens at import. "A notebook kernel" means IPython is imported and its shell has a kernel
(Jupyter, JupyterLab, nbclient, nbval); the check reads ``sys.modules`` and imports nothing.
"""

from __future__ import annotations

import logging
import sys

from toolkit.analysis.partition.plan import PartitionPlan
from toolkit.analysis.partition.plan_report import accelerator_name, accelerator_listing, fallback_listing, summary_lines
from toolkit.words import plural

__all__ = [
    "LOGGER_NAME",
    "logger",
    "NotebookHandler",
    "in_notebook_kernel",
    "should_attach",
    "show_in_notebooks",
    "log_start",
    "log_result",
]

LOGGER_NAME = "toolkit.partition"
logger = logging.getLogger(LOGGER_NAME)


class NotebookHandler(logging.Handler):
    """Writes ``LEVEL:name:message`` lines to the current ``sys.stderr`` (a cell's stderr in Jupyter)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.setFormatter(logging.Formatter(logging.BASIC_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break a trace
            self.handleError(record)


def in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (IPython already imported, its shell attached to a kernel)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


def should_attach(target: logging.Logger, root: logging.Logger, *, in_kernel: bool) -> bool:
    """The rule of the module docstring: attach only in a kernel, and only if nobody configured logging."""
    configured = bool(target.handlers) or target.level != logging.NOTSET or bool(root.handlers)
    return in_kernel and not configured


def show_in_notebooks() -> None:
    """Attach the :class:`NotebookHandler` when :func:`should_attach` says so (called by ``trace``)."""
    if should_attach(logger, logging.getLogger(), in_kernel=in_notebook_kernel()):
        logger.addHandler(NotebookHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def log_start(what: str, *, compute_ops: int, kinds: int, device: str) -> None:
    """The first line of a trace: what is partitioned, and which device plays the accelerator."""
    logger.info(
        "Partitioning %s: %s of %s, for %s with CPU fallback",
        what,
        plural(compute_ops, "compute op"),
        plural(kinds, "kind"),
        accelerator_name(device),
    )


def log_result(plan: PartitionPlan) -> None:
    """The closing lines: the ops compiled for the accelerator, the CPU fallback, the coverage."""
    compiled = accelerator_listing(plan)
    logger.info("Compiled for %s: %s", accelerator_name(plan.device), compiled or "no operation")
    logger.info("CPU fallback: %s", fallback_listing(plan) or "no operation")
    logger.info("%s", summary_lines(plan)[1])
