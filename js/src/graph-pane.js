// One drawn graph: writes DOT for the current state, lays it out in the shared worker, shows
// the SVG with native scrolling, zoom at the cursor, an overview map, a top-down or left-right
// layout, selection (by click or arrow keys along edges), search and link highlights, and turns
// clicks into state changes (open a box, close a cluster) or selections.

import { assembleDot } from "./assemble.js";
import { countDrawn, indexDrawing, normaliseState, representatives } from "./collapse.js";
import { button, h, revealIn, setChildren } from "./dom.js";
import { layout } from "./layout.js";
import { Minimap } from "./minimap.js";
import { compileSearch, findMatches } from "./search.js";
import { closed, opened } from "./state.js";
import { adopt, buildSvg, indexSvg, svgSize, yieldToPage } from "./svg.js";

const MIN_SCALE = 0.1;
const MAX_SCALE = 4;
// The smallest scale a first view or "fit" chooses: 10 pt labels stay about 9 px tall. A graph
// that does not fit at this scale scrolls (and gets the overview map) rather than shrinking
// into an unreadable sliver; the zoom buttons still go lower.
export const READABLE_SCALE = 0.7;
// Room kept free around a fitted picture (the stage's padding and a little air).
const FIT_MARGIN = 16;
// A picture being built: laid out after the one shown, invisible, not hit by the pointer.
// Only opacity, which children do not inherit: showing the picture then restyles the wrapper
// alone. (pointer-events is inherited, so lifting it restyled every element of the picture:
// 135 ms for a thousand boxes under JupyterLab's style sheets.) Clicks on a picture still
// being built are ignored in handleClick instead.
const BUILDING_STYLE = "opacity:0";
const RANKDIR = /^(\s*graph \[rankdir=)(\w+)/;
// Arrow keys move the selection along edges: up/left to a producer, down/right to a consumer.
const ARROWS = { ArrowUp: "producer", ArrowLeft: "producer", ArrowDown: "consumer", ArrowRight: "consumer" };
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

    this.rankdir = this._writtenRankdir();
    this.statements = payload.dot;

    this.stage = h("div", { class: "tst-stage" });
    this.busy = h("div", { class: "tst-busy" }, "laying out…");
    this.viewport = h(
      "div",
      {
        class: "tst-viewport",
        tabindex: "0",
        "aria-label": "graph: arrow keys move the selection along edges, Esc clears it",
        // JupyterLab: keys pressed here are the graph's, not notebook shortcuts
        "data-lm-suppress-shortcuts": "true",
      },
      this.stage,
    );
    this.minimap = new Minimap(this);
    this.frame = h("div", { class: "tst-frame" }, this.viewport, this.busy, this.minimap.el);
    this.status = h("div", { class: "tst-status" });
    this.el = h(
      "div",
      { class: "tst-graph", dataset: { state: "loading", side, renders: "0", rankdir: this.rankdir } },
      this.frame,
      this.status,
    );
    this._bindPointer();
    this._bindKeys();
    this._watchSize();
    this.unsubscribe = store.subscribe(() => this.refresh());
  }

  dispose() {
    this.unsubscribe();
    this.sizeWatch?.disconnect();
    this.seq += 1;
  }

  // --- layout direction -----------------------------------------------------------------
  /** The rankdir Python wrote in the graph attribute line ("TB" when it names none). */
  _writtenRankdir() {
    for (const line of this.payload.dot.head) {
      const m = RANKDIR.exec(line);
      if (m) return m[2];
    }
    return "TB";
  }

  /**
   * Lay the graph out top-down ("TB") or left-right ("LR"). Only the graph attribute line
   * Python wrote changes (its rankdir value); every other statement is shown as written.
   */
  setRankdir(rankdir) {
    if (rankdir === this.rankdir) return Promise.resolve();
    this.rankdir = rankdir;
    const head = this.payload.dot.head.map((line) => line.replace(RANKDIR, `$1${rankdir}`));
    this.statements = { ...this.payload.dot, head };
    this.el.dataset.rankdir = rankdir;
    this.userZoomed = false;
    this.scale = null; // the new shape is fitted again
    return this.refresh();
  }

  // --- drawing --------------------------------------------------------------------------
  async refresh() {
    const state = this.store.state();
    const { dot, drawn, total, truncated } = assembleDot(this.statements, this.index, state, { limit: this.limit });
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
    // Parse and insert in slices, in separate short tasks: a big picture never holds the page
    // in one go. The new picture is built hidden beside the old one, which stays until then.
    await yieldToPage();
    if (seq !== this.seq) return;
    let svg;
    let building = null;
    try {
      svg = await buildSvg(result.svg, {
        mount: (frame) => {
          building = this._mount(frame);
        },
        stale: () => seq !== this.seq,
      });
    } catch (error) {
      building?.remove();
      this.el.dataset.state = "fallback";
      this.callbacks.onFallback?.(String(error.message || error), state);
      return;
    }
    if (svg === null || seq !== this.seq) {
      building?.remove();
      return;
    }
    performance.mark("tst:parsed");
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

  /** Put a new picture's empty frame in the stage, hidden and at its final size. */
  _mount(svg) {
    const { width, height } = svgSize(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    this.pendingNatural = { width, height };
    const scale = this.scale ?? this._fittingScale(width, height);
    svg.setAttribute("width", String(Math.round(width * scale)));
    svg.setAttribute("height", String(Math.round(height * scale)));
    // Hidden through a wrapper's inline style. Any style or attribute change on the <svg>
    // itself makes the browser lay out every item in it again (hundreds of milliseconds for a
    // thousand boxes); a class could restyle every element under it; opacity is not inherited,
    // so showing the wrapper touches nothing inside.
    const wrapper = h("div", { class: "tst-picture", style: BUILDING_STYLE });
    wrapper.append(adopt(svg));
    this.stage.append(wrapper);
    return wrapper;
  }

  _show(svg) {
    this.natural = this.pendingNatural;
    const fitting = this.scale === null; // the first picture, or a new layout direction
    if (fitting) this.scale = this._fittingScale();
    const anchor = this._anchorBefore();
    const wrapper = svg.parentNode;
    for (const old of Array.from(this.stage.children)) if (old !== wrapper) old.remove();
    wrapper.removeAttribute("style");
    this.svg = svg;
    this.items = indexSvg(svg);
    this.minimap.reset();
    this._applyScale();
    this._decorate();
    if (fitting) this.viewport.scrollTo(0, 0);
    this._restoreAnchor(anchor);
    this.minimap.update();
  }

  /** The pane's drawing room in CSS pixels (scroll bars do not count), or null before layout. */
  _room() {
    const width = this.viewport.offsetWidth - FIT_MARGIN;
    const height = this.viewport.offsetHeight - FIT_MARGIN;
    return width > 0 && height > 0 ? { width, height } : null;
  }

  // The whole graph in the pane, both ways, never enlarged and never below READABLE_SCALE
  // (a larger graph scrolls from its top). A pane not laid out yet (an output rendered while
  // scrolled away) draws at 100 % and is fitted when it gets a size (_watchSize).
  _fittingScale(width = this.natural?.width, height = this.natural?.height) {
    const room = this._room();
    if (!room || !width) return 1;
    const fit = Math.min(room.width / width, room.height / height);
    return Math.min(1, Math.max(READABLE_SCALE, fit));
  }

  // Fit again when the pane changes size (full screen, the user dragging its corner, an
  // output that was not laid out yet), unless the user chose a zoom.
  _watchSize() {
    if (typeof ResizeObserver !== "function") return;
    let last = "";
    this.sizeWatch = new ResizeObserver(() => {
      const size = `${this.viewport.offsetWidth}x${this.viewport.offsetHeight}`;
      if (size === last || !this.natural) return;
      last = size;
      if (!this.userZoomed) {
        this.scale = this._fittingScale();
        this._applyScale();
      }
      this.minimap.update();
    });
    this.sizeWatch.observe(this.viewport);
  }

  _applyScale() {
    if (!this.svg) return;
    // Only real changes: setting even the same value makes the browser lay out the picture again.
    const width = String(Math.round(this.natural.width * this.scale));
    const height = String(Math.round(this.natural.height * this.scale));
    if (this.svg.getAttribute("width") !== width) this.svg.setAttribute("width", width);
    if (this.svg.getAttribute("height") !== height) this.svg.setAttribute("height", height);
    this.el.dataset.scale = this.scale.toFixed(3);
    this.minimap.update();
  }

  /**
   * Zoom by `factor` keeping the point under (clientX, clientY) where it is on screen (the
   * node under the cursor stays under it); without a point, around the pane's centre.
   */
  zoom(factor, clientX = null, clientY = null) {
    if (!this.svg) return;
    this.userZoomed = true;
    const vp = this.viewport.getBoundingClientRect();
    const x = clientX ?? vp.left + this.viewport.clientWidth / 2;
    const y = clientY ?? vp.top + this.viewport.clientHeight / 2;
    const before = this.svg.getBoundingClientRect();
    const px = (x - before.left) / (before.width / this.natural.width);
    const py = (y - before.top) / (before.height / this.natural.height);
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, (this.scale ?? 1) * factor));
    this._applyScale();
    const after = this.svg.getBoundingClientRect();
    this.viewport.scrollLeft += after.left + (px * after.width) / this.natural.width - x;
    this.viewport.scrollTop += after.top + (py * after.height) / this.natural.height - y;
    this.minimap.update();
  }

  /** Fit the whole graph (down to READABLE_SCALE, then scroll from the top); follows resizes again. */
  fit() {
    if (!this.natural) return;
    this.userZoomed = false;
    this.scale = this._fittingScale();
    this._applyScale();
    this.viewport.scrollTo(0, 0);
    this.minimap.update();
  }

  /** Scroll so the picture's point (x, y), in natural pixels, is in the middle of the pane. */
  centreOn(x, y) {
    if (!this.svg) return;
    const shown = this.svg.getBoundingClientRect();
    const vp = this.viewport.getBoundingClientRect();
    const ratio = shown.width / this.natural.width;
    this.viewport.scrollLeft += shown.left + x * ratio - (vp.left + this.viewport.clientWidth / 2);
    this.viewport.scrollTop += shown.top + y * ratio - (vp.top + this.viewport.clientHeight / 2);
    this.minimap.update();
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
    if (!this.minimap.el.hidden) this.minimap.draw();
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
        // A mouse notch (deltaY 100) zooms by about 18 %; a touchpad pinch in small steps.
        const delta = Math.max(-300, Math.min(300, event.deltaMode === 1 ? event.deltaY * 33 : event.deltaY));
        this.zoom(Math.exp(-delta / 500), event.clientX, event.clientY);
      },
      { passive: false },
    );
    let pending = false;
    this.viewport.addEventListener("scroll", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        this.minimap.update();
      });
    });
    this.viewport.addEventListener("click", (event) => {
      if (this.suppressClick) {
        this.suppressClick = false;
        return;
      }
      this.handleClick(event.target, event);
    });
  }

  _bindKeys() {
    this.viewport.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Escape") {
        if (!this.selected && !this.linked.length) return;
        event.preventDefault();
        event.stopPropagation();
        this.linked = [];
        this.callbacks.onSelect?.("");
        return;
      }
      const direction = ARROWS[event.key];
      if (!direction || !this.selected) return; // nothing selected: the arrows scroll
      event.preventDefault();
      event.stopPropagation();
      const next = this.neighbour(this.selected, direction);
      if (next) this.callbacks.onSelect?.(next);
      else this.callbacks.onStatus?.(direction === "producer" ? "Nothing flows into this box." : "Nothing reads this box's result.");
    });
  }

  /**
   * The drawn box one edge away from `id` (a producer or a consumer), or "". With several,
   * the one nearest on screen, so the arrows follow the picture.
   */
  neighbour(id, direction) {
    const current = this.rep.get(id) ?? id;
    const found = [];
    for (const [srcId, dstId] of this.statements.edges) {
      const src = this.rep.get(srcId) ?? srcId;
      const dst = this.rep.get(dstId) ?? dstId;
      if (src === dst) continue;
      const other = direction === "producer" ? (dst === current ? src : null) : src === current ? dst : null;
      if (other !== null && this.items.nodes.has(other) && !found.includes(other)) found.push(other);
    }
    if (found.length <= 1) return found[0] || "";
    const centre = (el) => {
      const r = el.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    };
    const from = this.items.nodes.get(current);
    if (!from) return found[0];
    const [x, y] = centre(from);
    let best = found[0];
    let bestDistance = Infinity;
    for (const other of found) {
      const [ox, oy] = centre(this.items.nodes.get(other));
      const distance = Math.hypot(ox - x, oy - y);
      if (distance < bestDistance - 0.5) {
        best = other;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** What a click on `target` (inside the SVG) does. */
  handleClick(target, event = null) {
    const picture = target.closest && target.closest(".tst-picture");
    if (picture && (!this.svg || picture !== this.svg.parentNode)) return; // still being built
    const node = target.closest && target.closest("g.node");
    const cluster = !node && target.closest && target.closest("g.cluster");
    if (node) {
      if (!node.id.startsWith("node:")) return; // the legend
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
      return;
    }
    // Empty canvas (or an edge): clear the selection and the code line's highlights.
    if (this.selected || this.linked.length) {
      this.linked = [];
      this.callbacks.onSelect?.("");
    }
  }

  _remember(event, key) {
    if (event && typeof event.clientX === "number") this.pendingAnchor = { id: key, x: event.clientX, y: event.clientY };
  }

  /**
   * Open a collapsed module, an if/loop box, or a fold. A fold whose blocks drawn open would
   * be too many boxes opens with each block closed (100 blocks as 100 boxes).
   */
  open(key, event = null) {
    let next = opened(this.store.state(), key, this.index);
    const fold = this.index.foldByKey.get(key);
    if (fold && countDrawn(this.index, next) > this.limit) {
      next = { ...next, collapsed: [...new Set([...next.collapsed, ...fold.members])] };
    }
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
    button("fit", "fit the graph in the pane (as far as it stays readable)", () => pane.fit(), "tst-fit"),
    button("SVG", "download the current view as an SVG file", () => downloadSvg(pane, name), "tst-export"),
  );
}

/** One button that switches every pane in `panes` between top-down and left-right layout. */
export function rankdirToggle(panes) {
  const label = () => (panes[0].rankdir === "LR" ? "top-down" : "left-right");
  const el = button(label(), "lay the graph out the other way (top to bottom, or left to right)", () => {
    const next = panes[0].rankdir === "LR" ? "TB" : "LR";
    for (const pane of panes) pane.setRankdir(next);
    el.textContent = label();
  }, "tst-rankdir");
  return el;
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
