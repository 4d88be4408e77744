"""The anywidget shells: the interactive graph and comparison widgets, thin over plain data.

How the front-end code reaches the page once, not once per widget
-----------------------------------------------------------------
anywidget sends a widget's ``_esm`` module with every instance's state. Putting the 850 kB
bundle (user interface plus Graphviz as WebAssembly) there would cost 850 kB per graph, the
``graphviz-anywidget`` problem. Instead:

- :class:`BundleHost` is one hidden widget per kernel whose ``_esm`` *is* the bundle. The
  front end imports a model's module as soon as the model is created, displayed or not, and
  the bundle's top level registers the rendering API in a page-wide slot
  (``globalThis[Symbol.for("torchscript-toolkit.widgets/1")]``) and starts the layout
  worker. A second host (another kernel in the same page) finds the slot filled and adds
  nothing.
- Each :class:`GraphWidget` / :class:`CompareWidget` carries only ``loader.js`` (2 kB),
  which waits for the slot and delegates to it, and a reference to the host so the host's
  model exists first. If the bundle is missing or never arrives, the loader asks the kernel
  for the static SVG (``dot`` on the server) and shows it under a note saying why.

This needs no JupyterLab extension, so it works wherever anywidget does (JupyterLab 4,
Notebook 7, VS Code). The cost: the bundle travels once per kernel over the websocket, and a
front end that saves widget state stores it once per notebook (strip it with
``python -m toolkit.widgets.notebook_state``).

The widgets never touch torch: they hold the IR graph and the drawing and DOT statements built
by :mod:`toolkit.render`.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any, ClassVar, Mapping

import anywidget
import traitlets
from ipywidgets import widget_serialization

from toolkit.errors import MissingDependencyError
from toolkit.ir.model import Node
from toolkit.errors import WidgetSelectionError
from toolkit.render.display import CodeSection, CodeView, CompareView, GraphView
from toolkit.render.drawing import ir_node_id
from toolkit.render.mime import filter_bundle
from toolkit.render.options import DotOptions
from toolkit.render.svg import dot_to_svg
from toolkit.widgets.assets import BUNDLE_NAME, LOADER_NAME, bundle_problem, read_asset, static_dir
from toolkit.widgets.payload import WidgetLimits, compare_pairs, count_drawn, graph_payload, initial_options
from toolkit.render.opening import LARGE_BOXES
from toolkit.render.saved_picture import RERUN_NOTE, inline_svgs_as_images

__all__ = ["BundleHost", "CompareWidget", "GraphWidget", "WidgetSelectionError"]

_WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_FALLBACK_DOT_SECONDS = 15.0


class BundleHost(anywidget.AnyWidget):
    """Delivers the front-end bundle to the page once per kernel (never displayed)."""

    _shared: ClassVar["BundleHost | None"] = None

    @classmethod
    def shared(cls) -> "BundleHost":
        """The kernel's host, created on first use and again if its comm was closed."""
        host = cls._shared
        if host is None or host.comm is None:
            host = cls(_esm=read_asset(BUNDLE_NAME))
            cls._shared = host
        return host


def _host_and_problem(bundle_dir: Path | None) -> tuple[BundleHost | None, str]:
    problem = bundle_problem(bundle_dir)
    if problem:
        return None, problem
    if bundle_dir is not None and bundle_dir != static_dir():
        return BundleHost(_esm=(bundle_dir / BUNDLE_NAME).read_text(encoding="utf-8")), ""
    return BundleHost.shared(), ""


class _ViewWidget(anywidget.AnyWidget):
    """What both widgets share: the loader, the host, the expansion state, static fallback."""

    _esm = read_asset(LOADER_NAME)
    _limits: WidgetLimits = WidgetLimits()  # replaced per instance
    _kind = traitlets.Unicode("graph").tag(sync=True)
    _host = traitlets.Instance(BundleHost, allow_none=True).tag(sync=True, **widget_serialization)
    _bundle_problem = traitlets.Unicode("").tag(sync=True)

    depth = traitlets.Int(None, allow_none=True, help="draw modules down to this depth; None: all").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode(), help="cluster and fold keys opened by hand").tag(sync=True)
    collapsed = traitlets.List(traitlets.Unicode(), help="cluster keys closed by hand").tag(sync=True)
    search = traitlets.Unicode("", help="regular expression over kind, name and scope").tag(sync=True)

    def __init__(self, *, bundle_dir: Path | None = None, **traits: Any) -> None:
        host, problem = _host_and_problem(bundle_dir)
        super().__init__(_host=host, _bundle_problem=problem, **traits)
        self.on_msg(self._on_front_end_message)

    # -- the state as drawing options ------------------------------------------------------
    def options(self, base: DotOptions | None = None) -> DotOptions:
        """The current expansion as static :class:`DotOptions` (for ``toolkit.to_dot`` and SVG)."""
        return (base or DotOptions()).with_state(depth=self.depth, expanded=self.expanded, collapsed=self.collapsed)

    # -- front-end requests ----------------------------------------------------------------
    def _on_front_end_message(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        if not isinstance(content, Mapping) or content.get("type") != "static-svg":
            return
        reply: dict[str, Any] = {"type": "static-svg", "request": content.get("request")}
        reply.update(self._static_picture(content.get("state") or {}, str(content.get("side") or "")))
        self.send(reply)

    def _static_picture(self, state: Mapping[str, Any], side: str) -> dict[str, str]:
        """``{"svg": ...}`` drawn by the kernel's ``dot`` for the front end's state, or ``{"error": ...}``."""
        view = self._static_view(side)
        if view is None:
            return {"error": "nothing to draw on this side"}
        options = view.options.with_state(
            depth=state.get("depth", self.depth),
            expanded=state.get("expanded", self.expanded),
            collapsed=state.get("collapsed", self.collapsed),
        )
        limit = self._limits.max_layout_nodes
        if count_drawn(view.drawing, options, view.folds) > limit:
            options = dataclasses.replace(options, depth=0, expanded=frozenset())
        if count_drawn(view.drawing, options, view.folds) > limit:
            return {"error": f"{view.graph.name} is too large for a static picture (over {limit:,} boxes even collapsed)."}
        try:
            # A short time limit: this runs because the browser could not lay the graph out,
            # and the kernel must not be held for a minute by the same layout.
            return {"svg": dot_to_svg(dataclasses.replace(view, options=options).dot, timeout=_FALLBACK_DOT_SECONDS)}
        except MissingDependencyError as exc:
            return {"error": f"{exc}\n\n{view.summary()}"}

    def _static_view(self, side: str) -> GraphView | None:
        """The static view drawn on ``side`` (``""`` for a single graph); each widget says which."""
        raise NotImplementedError(f"{type(self).__name__} must say which static view it draws")


class GraphWidget(_ViewWidget):
    """An interactive TorchScript graph: expand, fold, search, details, graph ↔ code.

    Any drawing works: a graph's own, a partitioned model's (placement colours, transfer edges)
    or a pipeline's one box per op call, whose boxes select nothing in ``selected`` (they are op
    calls, not IR nodes) but still show their details in the browser.

    Attributes (traits; observe them to react to the student's clicks):
        selected_id: the id of the selected node (``"n4"``), box or cluster; ``""`` for none.
        selected: the selected IR :class:`~toolkit.ir.model.Node`, or ``None`` (read-only).
        depth, expanded, collapsed, search: the view's state; setting them redraws it.
    """

    selected_id = traitlets.Unicode("", help="id of the selected node, box or cluster").tag(sync=True)
    selected = traitlets.Instance(Node, allow_none=True, read_only=True, help="the selected IR node")
    _data = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        view: GraphView,
        *,
        code: CodeView | None = None,
        limits: WidgetLimits = WidgetLimits(),
        bundle_dir: Path | None = None,
    ) -> None:
        options, notice = initial_options(view, limits)
        self._graph_view = view
        self._limits = limits
        self._shown = dataclasses.replace(view, options=options)
        # The static picture runs `dot` in a subprocess: start it now, so it lays out while
        # Python builds the payload, and join it when the output is displayed.
        self._static = _StaticPicture(self._shown, limits)
        sections: tuple[CodeSection, ...] = code.sections if code is not None else ()
        payload = graph_payload(self._shown, sections, limits=limits, notice=notice)
        self._ids = _selectable_ids(payload)
        # The boxes that are IR nodes: all of them for a graph or a partitioned model (re-coloured
        # by placement), none of the op-call boxes of a pipeline drawn per op call.
        self._ir_nodes = {n.id: n for n in view.graph.walk() if n.id in self._ids}
        super().__init__(
            bundle_dir=bundle_dir,
            _kind="graph",
            _data=payload,
            depth=options.depth,
            expanded=sorted(options.expanded),
            collapsed=sorted(options.collapsed),
        )

    @property
    def graph(self):
        """The IR graph shown."""
        return self._graph_view.graph

    @property
    def static(self) -> GraphView:
        """The static view of what the widget shows now (its current expansion)."""
        return dataclasses.replace(self._graph_view, options=self.options(self._graph_view.options))

    def select(self, target: Node | str | None) -> None:
        """Select a node (an IR :class:`Node` or its id); ``None`` clears the selection."""
        self.selected_id = _node_id(target)

    @traitlets.validate("selected_id")
    def _check_selected_id(self, proposal: Any) -> str:
        value = proposal["value"]
        return _selectable(
            value,
            self._ids,
            f"cannot select {value!r}: {self._graph_view.graph.name} draws no node, box or cluster with that id."
            " Fix: pass an IR node of this graph, or an id from view.graph.walk().",
        )

    @traitlets.observe("selected_id")
    def _mirror_selection(self, change: Any) -> None:
        node_id = change["new"]
        node = self._ir_nodes.get(ir_node_id(node_id)) if node_id and not _is_synthetic(node_id) else None
        self.set_trait("selected", node)

    def _static_view(self, side: str) -> GraphView | None:
        return self._graph_view

    # anywidget's stub types this hook as (**kwargs) -> (data, metadata) | None; IPython's display
    # protocol also passes include/exclude and accepts a plain data dict, which is what we return.
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        bundle = self._static.bundle()
        bundle[_WIDGET_VIEW_MIME] = {"version_major": 2, "version_minor": 0, "model_id": self.model_id}
        return filter_bundle(bundle, include, exclude)

    def __repr__(self) -> str:
        return self._shown.summary()


class CompareWidget(_ViewWidget):
    """Trace and script side by side, selection in sync, what one side lacks coloured.

    Attributes (traits):
        selected_trace_id, selected_script_id: the selected node on each side (``""``: none);
            a click on one side selects its matched node on the other.
        selected_side: ``"trace"`` or ``"script"``: where the last click was.
        selected: the IR node selected on ``selected_side`` (read-only); ``selected_trace`` and
            ``selected_script`` give each side's.
    """

    selected_trace_id = traitlets.Unicode("").tag(sync=True)
    selected_script_id = traitlets.Unicode("").tag(sync=True)
    selected_side = traitlets.Unicode("").tag(sync=True)
    selected = traitlets.Instance(Node, allow_none=True, read_only=True)
    selected_trace = traitlets.Instance(Node, allow_none=True, read_only=True)
    selected_script = traitlets.Instance(Node, allow_none=True, read_only=True)
    _trace = traitlets.Dict().tag(sync=True)
    _script = traitlets.Dict().tag(sync=True)
    _pairs: traitlets.List[list[str]] = traitlets.List().tag(sync=True)
    _name = traitlets.Unicode("").tag(sync=True)
    _summary = traitlets.Unicode("").tag(sync=True)
    _scripting_error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, view: CompareView, *, limits: WidgetLimits = WidgetLimits(), bundle_dir: Path | None = None) -> None:
        self._compare = view
        self._limits = limits
        sides = [v for v in (view.traced, view.scripted) if v is not None]
        chosen = [initial_options(v, limits) for v in sides]
        depths = [o.depth for o, _ in chosen]
        depth = None if all(d is None for d in depths) else min(d for d in depths if d is not None)
        notice = next((n for _, n in chosen if n), "")
        shown = [dataclasses.replace(v, options=dataclasses.replace(v.options, depth=depth)) for v in sides]
        self._shown = shown
        trace = graph_payload(shown[0], view.traced_code.sections, limits=limits, notice=notice)
        script = (
            graph_payload(shown[1], view.scripted_code.sections if view.scripted_code else (), limits=limits, notice=notice)
            if view.scripted is not None
            else {}
        )
        self._ids = {"trace": _selectable_ids(trace), "script": _selectable_ids(script) if script else set()}
        pairs = compare_pairs(view.diff.matched, trace["details"], script.get("details", {}))
        self._pair_index = {("trace", t): s for t, s in pairs} | {("script", s): t for t, s in pairs}
        super().__init__(
            bundle_dir=bundle_dir,
            _kind="compare",
            _trace=trace,
            _script=script,
            _pairs=pairs,
            _name=view.name,
            _summary=view.summary(),
            _scripting_error=view.scripting_error,
            depth=depth,
        )

    def counterpart(self, side: str, node_id: str) -> str:
        """The id matched to ``node_id`` on the other side, or ``""``."""
        return self._pair_index.get((side, node_id), "")

    def select(self, target: Node | str | None, *, side: str = "trace") -> None:
        """Select a node on ``side`` and its counterpart on the other side."""
        if side not in ("trace", "script"):
            raise WidgetSelectionError(f"side must be 'trace' or 'script', not {side!r}. Fix: pass side='trace' or side='script'.")
        node_id = _node_id(target)
        mate = self.counterpart(side, node_id) if node_id else ""
        with self.hold_sync():
            self.selected_side = side
            if side == "trace":
                self.selected_trace_id, self.selected_script_id = node_id, mate
            else:
                self.selected_script_id, self.selected_trace_id = node_id, mate

    def _checked(self, side: str, value: str) -> str:
        return _selectable(
            value,
            self._ids[side],
            f"cannot select {value!r} on the {side} side of {self._compare.name}: no such node, box or cluster."
            " Fix: pass a node id of that side's graph.",
        )

    @traitlets.validate("selected_trace_id")
    def _check_trace(self, proposal: Any) -> str:
        return self._checked("trace", proposal["value"])

    @traitlets.validate("selected_script_id")
    def _check_script(self, proposal: Any) -> str:
        return self._checked("script", proposal["value"])

    @traitlets.observe("selected_trace_id", "selected_script_id", "selected_side")
    def _mirror_selection(self, _change: Any) -> None:
        trace = self._node("trace", self.selected_trace_id)
        script = self._node("script", self.selected_script_id)
        self.set_trait("selected_trace", trace)
        self.set_trait("selected_script", script)
        self.set_trait("selected", script if self.selected_side == "script" else trace)

    def _node(self, side: str, node_id: str) -> Node | None:
        view = self._static_view(side)
        if view is None or not node_id or _is_synthetic(node_id) or node_id not in self._ids[side]:
            return None
        return view.graph.node(ir_node_id(node_id))  # a join stands for its if

    def _static_view(self, side: str) -> GraphView | None:
        return self._compare.scripted if side == "script" else self._compare.traced

    # anywidget's stub types this hook as (**kwargs) -> (data, metadata) | None; IPython's display
    # protocol also passes include/exclude and accepts a plain data dict, which is what we return.
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        static = dataclasses.replace(
            self._compare,
            traced=self._shown[0],
            scripted=self._shown[1] if len(self._shown) > 1 else None,
        )
        bundle: dict[str, Any] = {"text/plain": static.summary()}
        if all(v.collapse.drawn_count <= self._limits.max_layout_nodes for v in self._shown):
            # Images, not inline SVG: a sanitised (untrusted) notebook drops inline <svg>.
            bundle["text/html"] = inline_svgs_as_images(static.html(), title=self._compare.name)
        bundle[_WIDGET_VIEW_MIME] = {"version_major": 2, "version_minor": 0, "model_id": self.model_id}
        return filter_bundle(bundle, include, exclude)

    def __repr__(self) -> str:
        return f"<CompareWidget {self._compare.name}: {len(self._compare.diff.user_losses)} lost control-flow node(s) in your code>"


def _selectable_ids(payload: Mapping[str, Any]) -> set[str]:
    drawing = payload["drawing"]
    ids = {n["id"] for n in drawing["nodes"]} | {c["key"] for c in drawing["clusters"]}
    return ids | {f["key"] for f in payload["folds"]}


def _node_id(target: Node | str | None) -> str:
    """The id of a selection target: an IR node, an id, or ``None`` for no selection."""
    return "" if target is None else (target.id if isinstance(target, Node) else str(target))


def _selectable(value: str, ids: set[str], refusal: str) -> str:
    """``value`` when it is empty or drawn (in ``ids``); else a :class:`WidgetSelectionError`."""
    if value and value not in ids:
        raise WidgetSelectionError(refusal)
    return value


def _is_synthetic(view_id: str) -> bool:
    """Ids that are not IR nodes: graph inputs/outputs, clusters, folds."""
    return view_id == "out" or view_id.startswith(("in:", "fold:", "m:", "if:", "loop:"))


class _StaticPicture:
    """The static view's mime bundle, computed once, in a background thread.

    The SVG twice: as ``image/svg+xml`` and as HTML holding it as an image, the one form an
    untrusted notebook shows (see :mod:`toolkit.render.saved_picture`). Without either when the
    view is too big to lay out quickly (``dot`` on 20,000 boxes would stall the kernel for minutes).

    A widget opened on more than :data:`~toolkit.render.opening.LARGE_BOXES` boxes saves the
    picture of its default opening instead, and says so. At a notebook's width a thousand boxes
    are a sliver tens of thousands of pixels tall, and carrying them costs the page: 2.8 MB of
    SVG and base64 for a 1,002-box graph, which JupyterLab decodes from the websocket, stores in
    the notebook model and sanitises again for its table of contents, each a long task.
    """

    def __init__(self, view: GraphView, limits: WidgetLimits) -> None:
        drawn = view.collapse.drawn_count
        self._summary = view.summary()  # the text form names what the widget shows
        self._note = RERUN_NOTE
        if LARGE_BOXES < drawn <= limits.max_layout_nodes:
            opening = dataclasses.replace(view, options=dataclasses.replace(view.options, auto=True), notice="")
            if opening.collapse.drawn_count < drawn:
                self._note = (
                    f"Saved picture of the default opening ({opening.collapse.drawn_count:,} of the {drawn:,} boxes"
                    " shown): run the cell again for the interactive view."
                )
                view = opening
        self._view = view
        self._too_big = drawn > limits.max_layout_nodes
        self._result: dict[str, Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._compute, name="toolkit-static-svg", daemon=True)
        self._thread.start()

    def _compute(self) -> None:
        try:
            if self._too_big:
                note = "\n(too large for a static picture: open it in a live notebook)"
                self._result = {"text/plain": self._summary + note}
            else:
                self._result = self._view.picture_bundle(note=self._note, text=self._summary)
        except BaseException as exc:  # re-raised in the caller's thread by bundle()
            self._error = exc

    def bundle(self) -> dict[str, Any]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return dict(self._result)
