// One drawn graph: writes DOT for the current state, lays it out in the shared worker, shows
// the SVG with native scrolling, zoom, selection, search and link highlights, and turns clicks
// into state changes (open a box, close a cluster) or selections.

import { assembleDot } from "./assemble.js";
import { countDrawn, indexDrawing, normaliseState, representatives } from "./collapse.js";
import { button, h, revealIn, setChildren } from "./dom.js";
import { layout } from "./layout.js";
import { compileSearch, findMatches } from "./search.js";
import { closed, opened } from "./state.js";
import { adopt, indexSvg, parseSvg, svgSize, yieldToPage } from "./svg.js";

const MIN_SCALE = 0.1;
const MAX_SCALE = 4;
// Highlight rules live in the page-wide stylesheet (styles.css). A <style> inside each inline
// SVG would be a new document-wide sheet per layout: the whole notebook page would restyle.
const EXPORT_CSS = `
g.node.tst-selected polygon, g.node.tst-selected path, g.node.tst-selected ellipse {stroke:#f57f17;stroke-width:4px}
g.node.tst-match polygon, g.node.tst-match path, g.node.tst-match ellipse {stroke:#d81b60;stroke-width:3px}
g.node.tst-linked polygon, g.node.tst-linked path, g.node.tst-linked ellipse {stroke:#00897b;stroke-width:3px}`;

export class GraphPane {
  /**
   * @param payload   the widget payload for this graph
   * @param store     the shared expansion/search state (state(), update(), subscribe())
   * @param callbacks {onSelect(id), onStatus(text), onFallback(reason, state), onRendered(info)}
   * @param side      "" for a single view, "trace"/"script" in a comparison
   */
  constructor({ payload, store, callbacks = {}, side = "" }) {
    this.payload = payload;
    this.index = indexDrawing(payload.drawing, payload.folds);
    this.store = store;
    this.callbacks = callbacks;
    this.side = side;
    this.limit = (payload.limits && payload.limits.maxLayoutNodes) || 1500;
    this.scale = null; // chosen at the first render
    this.selected = "";
    this.linked = [];
    this.matches = { nodes: [], clusters: [] };
    this.seq = 0;
    this.renders = 0;
    this.svg = null;
    this.items = { nodes: new Map(), clusters: new Map() };
    this.rep = new Map();
    this.resolveBox = null;
    this.lastDot = "";

    this.stage = h("div", { class: "tst-stage" });
    this.busy = h("div", { class: "tst-busy" }, "laying out…");
    this.viewport = h("div", { class: "tst-viewport", tabindex: "0" }, this.stage, this.busy);
    this.status = h("div", { class: "tst-status" });
    this.el = h(
      "div",
      { class: "tst-graph", dataset: { state: "loading", side, renders: "0" } },
      this.viewport,
      this.status,
    );
    this._bindPointer();
    this.unsubscribe = store.subscribe(() => this.refresh());
  }

  dispose() {
    this.unsubscribe();
    this.sizeWatch?.disconnect();
    this.seq += 1;
  }

  // --- drawing --------------------------------------------------------------------------
  async refresh() {
    const state = this.store.state();
    const { dot, drawn, total, truncated } = assembleDot(this.payload.dot, this.index, state, { limit: this.limit });
    const reps = representatives(this.index, normaliseState(state));
    this.rep = reps.rep;
    this.resolveBox = reps.resolve;
    this._updateMatches(state.search);
    if (dot === this.lastDot && this.svg) {
      this._decorate();
      if (this.revealMatchesOnce) {
        this.revealMatchesOnce = false;
        this.revealFirstMatch();
      }
      return;
    }
    const seq = ++this.seq;
    performance.mark("tst:layout-start");
    this.el.dataset.state = "busy";
    const started = performance.now();
    let result;
    try {
      result = await layout(dot);
    } catch (error) {
      if (seq !== this.seq) return;
      this.el.dataset.state = "fallback";
      this.callbacks.onFallback?.(String(error.message || error), state);
      return;
    }
    if (seq !== this.seq) return; // a newer state superseded this one
    performance.mark("tst:layout-end");
    // Parse, then insert, in separate tasks: a big picture never holds the page in one go.
    await yieldToPage();
    if (seq !== this.seq) return;
    let svg;
    try {
      svg = parseSvg(result.svg);
    } catch (error) {
      this.el.dataset.state = "fallback";
      this.callbacks.onFallback?.(String(error.message || error), state);
      return;
    }
    await yieldToPage();
    if (seq !== this.seq) return;
    this.lastDot = dot;
    this._show(svg);
    this.renders += 1;
    const ms = performance.now() - started;
    this.el.dataset.state = "ready";
    performance.mark("tst:ready");
    this.el.dataset.renders = String(this.renders);
    this.el.dataset.drawn = String(drawn);
    this.el.dataset.layoutMs = result.ms.toFixed(1);
    const parts = [`${drawn.toLocaleString()} boxes`, result.cached ? "cached layout" : `layout ${Math.round(result.ms)} ms`];
    if (truncated) parts.push(`only the first ${drawn} of ${total} drawn`);
    this.status.textContent = parts.join(" · ");
    this.callbacks.onRendered?.({ drawn, total, truncated, ms });
    if (this.revealMatchesOnce) {
      this.revealMatchesOnce = false;
      this.revealFirstMatch();
    }
  }

  /** Scroll the first search match into view (after the next drawing, if one is pending). */
  revealFirstMatch({ afterNextRender = false } = {}) {
    if (afterNextRender) {
      this.revealMatchesOnce = true;
      return;
    }
    const first = [...this.matches.nodes, ...this.matches.clusters].map((id) => this.elementFor(id)).find(Boolean);
    if (first) revealIn(this.viewport, first);
  }

  _show(svg) {
    const { width, height } = svgSize(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    this.natural = { width, height };
    if (this.scale === null) this.scale = this._fittingScale();
    const anchor = this._anchorBefore();
    this.svg = adopt(svg);
    this.items = indexSvg(svg);
    setChildren(this.stage, svg);
    this._applyScale();
    this._decorate();
    this._restoreAnchor(anchor);
  }

  // Shrink a graph wider than its pane (down to 35 %), never enlarge. A pane not laid out yet
  // (an output rendered while scrolled away) has no width: draw at 100 % and decide when it
  // gets one, unless the user has zoomed by then.
  _fittingScale() {
    const room = this.viewport.clientWidth - 16;
    if (room <= 0) {
      this._fitWhenSized();
      return 1;
    }
    return Math.max(0.35, Math.min(1, room / this.natural.width));
  }

  _fitWhenSized() {
    if (this.sizeWatch || typeof ResizeObserver !== "function") return;
    this.sizeWatch = new ResizeObserver(() => {
      if (this.viewport.clientWidth <= 16 || !this.natural) return;
      this.sizeWatch.disconnect();
      this.sizeWatch = null;
      if (!this.userZoomed) {
        this.scale = this._fittingScale();
        this._applyScale();
      }
    });
    this.sizeWatch.observe(this.viewport);
  }

  _applyScale() {
    if (!this.svg) return;
    this.svg.setAttribute("width", String(Math.round(this.natural.width * this.scale)));
    this.svg.setAttribute("height", String(Math.round(this.natural.height * this.scale)));
  }

  zoom(factor) {
    this.userZoomed = true;
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, (this.scale ?? 1) * factor));
    this._applyScale();
  }

  fit() {
    if (!this.natural) return;
    this.userZoomed = true;
    const sx = (this.viewport.clientWidth - 16) / this.natural.width;
    const sy = (this.viewport.clientHeight - 16) / this.natural.height;
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.min(sx, sy)));
    this._applyScale();
  }

  // Keep the item the user clicked where it was when the picture changes under it.
  _anchorBefore() {
    if (!this.pendingAnchor || !this.svg) return null;
    const { id, x, y } = this.pendingAnchor;
    this.pendingAnchor = null;
    return { id, x, y };
  }

  _restoreAnchor(anchor) {
    if (!anchor) return;
    const target = this.items.clusters.get(anchor.id) || this.items.nodes.get(anchor.id);
    if (!target) return;
    const r = target.getBoundingClientRect();
    this.viewport.scrollLeft += r.left - anchor.x;
    this.viewport.scrollTop += r.top - anchor.y;
  }

  // --- highlights -----------------------------------------------------------------------
  _updateMatches(search) {
    const { regex, error } = compileSearch(search);
    this.searchError = error || "";
    this.matches = regex ? findMatches(this.payload, regex) : { nodes: [], clusters: [] };
  }

  /** The element that stands for `id` right now (the node, or the box it is folded into). */
  elementFor(id) {
    if (this.items.nodes.has(id)) return this.items.nodes.get(id);
    const rep = this.rep.get(id);
    if (rep && this.items.nodes.has(rep)) return this.items.nodes.get(rep);
    if (this.items.clusters.has(id)) return this.items.clusters.get(id);
    if (this.index.clusters.has(id) && this.resolveBox) {
      const box = this.resolveBox(id); // the box a hidden cluster is folded into
      return (box && this.items.nodes.get(box)) || null;
    }
    return null;
  }

  _decorate() {
    if (!this.svg) return;
    for (const g of this.svg.querySelectorAll(".tst-selected, .tst-match, .tst-linked")) {
      g.classList.remove("tst-selected", "tst-match", "tst-linked");
    }
    const mark = (id, cls) => {
      const el = this.elementFor(id);
      if (el) el.classList.add(cls);
      return el;
    };
    let hidden = 0;
    for (const id of this.matches.nodes) {
      const el = mark(id, "tst-match");
      if (el && el.id !== `node:${id}`) hidden += 1;
    }
    for (const key of this.matches.clusters) mark(key, "tst-match");
    for (const id of this.linked) mark(id, "tst-linked");
    if (this.selected) mark(this.selected, "tst-selected");
    this.matchSummary = { count: this.matches.nodes.length + this.matches.clusters.length, hidden };
    this.callbacks.onMatches?.(this.matchSummary, this.searchError);
  }

  /** Select `id` (or clear with ""), scrolling it into view. */
  select(id, { reveal = true } = {}) {
    this.selected = id || "";
    this._decorate();
    if (reveal && this.selected) {
      const el = this.elementFor(this.selected);
      if (el) revealIn(this.viewport, el);
    }
  }

  /** Highlight nodes linked from a code line (and scroll to the first). */
  link(ids) {
    this.linked = ids || [];
    this._decorate();
    if (this.linked.length) {
      const el = this.elementFor(this.linked[0]);
      if (el) revealIn(this.viewport, el);
    }
  }

  // --- interaction ----------------------------------------------------------------------
  _bindPointer() {
    let drag = null;
    this.viewport.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop, moved: false };
    });
    this.viewport.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) this.viewport.setPointerCapture?.(event.pointerId);
      drag.moved = true;
      this.viewport.scrollLeft = drag.left - dx;
      this.viewport.scrollTop = drag.top - dy;
    });
    const end = (event) => {
      if (drag && drag.moved) this.suppressClick = true;
      drag = null;
      this.viewport.releasePointerCapture?.(event.pointerId);
    };
    this.viewport.addEventListener("pointerup", end);
    this.viewport.addEventListener("pointercancel", end);
    this.viewport.addEventListener(
      "wheel",
      (event) => {
        if (!event.ctrlKey && !event.metaKey) return; // plain wheel scrolls, as everywhere else
        event.preventDefault();
        this.zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15);
      },
      { passive: false },
    );
    this.viewport.addEventListener("click", (event) => {
      if (this.suppressClick) {
        this.suppressClick = false;
        return;
      }
      this.handleClick(event.target, event);
    });
  }

  /** What a click on `target` (inside the SVG) does. */
  handleClick(target, event = null) {
    const node = target.closest && target.closest("g.node");
    const cluster = !node && target.closest && target.closest("g.cluster");
    if (node) {
      const id = node.id.slice(5);
      if (id === "__more__") return;
      if (this.index.foldByKey.has(id) || this.index.clusters.has(id)) {
        this.open(id, event);
        return;
      }
      this.callbacks.onSelect?.(id);
      return;
    }
    if (cluster) {
      let key = cluster.id.slice(8);
      const c = this.index.clusters.get(key);
      if (!c) return;
      if (c.kind === "then" || c.kind === "else" || c.kind === "body") key = c.parent;
      this.close(key, event);
    }
  }

  _remember(event, key) {
    if (event && typeof event.clientX === "number") this.pendingAnchor = { id: key, x: event.clientX, y: event.clientY };
  }

  /** Open a collapsed module, an if/loop box, or a fold. */
  open(key, event = null) {
    const next = opened(this.store.state(), key, this.index);
    if (!this.fits(next)) return false;
    this._remember(event, key);
    this.store.update({ expanded: next.expanded, collapsed: next.collapsed });
    return true;
  }

  /** Collapse a module or an if/loop cluster, or fold a run of blocks again. */
  close(key, event = null) {
    const next = closed(this.store.state(), key, this.index);
    this._remember(event, key);
    this.store.update({ expanded: next.expanded, collapsed: next.collapsed });
  }

  /** True when `state` draws at most the limit; otherwise says why and returns false. */
  fits(state) {
    const count = countDrawn(this.index, state);
    if (count <= this.limit) return true;
    this.callbacks.onStatus?.(
      `That would draw ${count.toLocaleString()} boxes, more than this view lays out at once ` +
        `(${this.limit.toLocaleString()}). Open modules one at a time, or search.`,
    );
    return false;
  }

  /** The current picture as a standalone SVG file's text. */
  exportSvg() {
    if (!this.svg) return "";
    const copy = this.svg.cloneNode(true);
    const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
    style.textContent = EXPORT_CSS;
    copy.prepend(style);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    copy.setAttribute("width", String(Math.round(this.natural.width)));
    copy.setAttribute("height", String(Math.round(this.natural.height)));
    return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + new XMLSerializer().serializeToString(copy);
  }
}

/** Zoom / fit / export buttons for one pane. */
export function viewButtons(pane, name) {
  return h(
    "span",
    { class: "tst-group" },
    button("−", "zoom out (or ctrl + wheel)", () => pane.zoom(1 / 1.25), "tst-zoom-out"),
    button("+", "zoom in (or ctrl + wheel)", () => pane.zoom(1.25), "tst-zoom-in"),
    button("fit", "fit the graph in the pane", () => pane.fit(), "tst-fit"),
    button("SVG", "download the current view as an SVG file", () => downloadSvg(pane, name), "tst-export"),
  );
}

function downloadSvg(pane, name) {
  const text = pane.exportSvg();
  if (!text) return;
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  const a = h("a", { href: url, download: `${String(name || "graph").replace(/[^\w.-]+/g, "_")}.svg` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
