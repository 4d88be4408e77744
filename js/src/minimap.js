// The overview of a graph larger than its pane: every drawn box as a small rectangle on a
// canvas, the visible part of the graph as a frame over it. A click or a drag in the overview
// moves the view there.
//
// It must help, never get in the way, in a 590 × 315 comparison pane as on a full screen:
// - its size is a bounded share of the pane (a quarter of the width, less than half the
//   height) and never more than a fixed number of pixels;
// - it is hidden when the whole graph fits the pane at the current scale (or nearly: a graph
//   a few pixels too tall scrolls without an overview covering part of it), and when the pane
//   is too small for an overview to leave room for the graph;
// - it sits in a corner of the pane, and moves to another corner when the selected box (or a
//   search match, or a box lit from a code line) would be under it. Moving, not fading: a
//   faded overview still blurs the label underneath, and a selection made with the arrow keys
//   or from Python has no pointer hovering over it to fade anything;
// - the student can switch it off with the × button above it or the `m` key in the pane; a
//   small "overview" button then stands in its corner to bring it back. The choice is kept for the
//   widget's payload (the same view drawn again keeps it), each side of a comparison its own.
//
// Why a canvas of rectangles and not a second copy of the SVG: a fully expanded ResNet-50 is
// a thousand boxes; a clone would double the page's DOM, and an <img> of the SVG text is
// rasterised on the main thread. The rectangles are read once per picture, when first shown,
// a few hundred per task after the picture is on screen (never in the task that shows it).

import { button, h } from "./dom.js";
import { yieldToPage } from "./svg.js";

// The overview's largest size: a share of the pane's drawing room, and a fixed cap.
const WIDTH_SHARE = 0.25;
const HEIGHT_SHARE = 0.45; // a tall graph (a ResNet is 20 times taller than wide) gets a tall strip
const MAX_WIDTH = 200;
const MAX_HEIGHT = 300;
// A thin side is stretched to this many pixels (within the bounds above): a ResNet drawn to
// scale would be a 10-pixel strip, too thin to aim a click or a drag at. The overview then
// is not to scale across that side, which an overview of a chain of boxes can afford.
const MIN_SIDE = 40;
// A pane smaller than this keeps all its room for the graph (it scrolls, and "fit" helps).
const MIN_PANE_WIDTH = 240;
const MIN_PANE_HEIGHT = 160;
// Shown once the graph is this much larger than the pane at the current scale.
const OVERFLOW = 1.15;
// Air between the overview and the pane's edges (inside the scroll bars).
const INSET = 6;
// Where the overview may sit, the first preferred: bottom right, away from the graph's start.
const CORNERS = ["bottom-right", "bottom-left", "top-right", "top-left"];
// At most this many search matches / lit boxes are kept clear (the selection always is).
const MAX_KEPT_CLEAR = 40;
const READ_PER_TASK = 300;
const COLOURS = {
  cluster: "#b0bec5",
  node: "#90a4ae",
  match: "#d81b60",
  linked: "#00897b",
  selected: "#f57f17",
};

// The student's "off" per payload: drawing the same view again (a new output of the same
// widget, a re-render) keeps the overview as they left it.
const switchedOff = new WeakMap();

/** The area two client rectangles share (0 when apart). */
function overlap(a, b) {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const hgt = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && hgt > 0 ? w * hgt : 0;
}

export class Minimap {
  /** @param pane the GraphPane it summarises (svg, natural size, scale, viewport, centreOn) */
  constructor(pane) {
    this.pane = pane;
    this.canvas = h("canvas", { class: "tst-minimap-canvas" });
    this.frame = h("div", { class: "tst-minimap-view" });
    this.map = h("div", { class: "tst-minimap", title: "overview: click or drag to move the view", hidden: true }, this.canvas, this.frame);
    this.toggle = button("×", "", () => this.setOff(!this.off), "tst-minimap-toggle");
    this.toggle.hidden = true;
    // `el` is what the pane puts over its viewport: the on/off button above the overview (a
    // button inside it would cover part of a thin overview, or stick out of it).
    this.el = h("div", { class: "tst-minimap-dock", hidden: true }, this.toggle, this.map);
    this.memoryKey = pane.payload && typeof pane.payload === "object" ? pane.payload : pane;
    this.off = switchedOff.get(this.memoryKey) === true;
    this.why = "empty"; // why it is hidden ("" when shown): empty, small, fits, off
    this.corner = CORNERS[0];
    this.sizedFor = ""; // the pane and picture size the overview was last sized for
    this.boxes = null; // [{x, y, w, h, el, cluster}] in the picture's natural pixels
    this.reading = null; // the picture whose boxes are being read
    this.factor = { x: 1, y: 1 }; // overview pixels per natural pixel, across and down
    this._bindPointer();
    this._bindKey();
  }

  /** A new picture was shown: its boxes are read again when the overview is next drawn. */
  reset() {
    this.boxes = null;
    this.reading = null;
    this.sizedFor = "";
  }

  /** Switch the overview off (true) or on again, as the student's × button or `m` does. */
  setOff(off) {
    this.off = Boolean(off);
    switchedOff.set(this.memoryKey, this.off);
    this.update();
    this.pane.callbacks?.onStatus?.(this.off ? "Overview hidden: its button or m brings it back." : "");
  }

  /** Why the overview is hidden now ("" when it is shown). */
  _hiddenBecause() {
    const pane = this.pane;
    if (!pane.svg || !pane.natural) return "empty";
    const vp = pane.viewport;
    if (vp.clientWidth < MIN_PANE_WIDTH || vp.clientHeight < MIN_PANE_HEIGHT) return "small";
    const shown = pane.svg.getBoundingClientRect();
    const larger = shown.width > vp.clientWidth * OVERFLOW || shown.height > vp.clientHeight * OVERFLOW;
    if (!larger) return "fits";
    return this.off ? "off" : "";
  }

  /** Show or hide the overview for the current pane size, scale and scroll; move its frame. */
  update() {
    const pane = this.pane;
    const why = this._hiddenBecause();
    const appearing = why === "" && this.why !== "";
    this.why = why;
    if (pane.el) {
      pane.el.dataset.minimap = why ? "hidden" : "shown";
      pane.el.dataset.minimapWhy = why;
    }
    this.map.hidden = why !== "";
    this.toggle.hidden = why !== "" && why !== "off";
    this.el.hidden = this.map.hidden && this.toggle.hidden;
    this.el.classList.toggle("tst-minimap-off", why === "off");
    this.toggle.textContent = why === "off" ? "overview" : "×";
    this.toggle.title = why === "off" ? "show the overview map again (or press m in the graph)" : "hide the overview map (or press m in the graph)";
    if (why === "off") this._place();
    if (why) return;
    const vp = pane.viewport;
    const size = `${vp.clientWidth}x${vp.clientHeight}/${pane.natural.width}x${pane.natural.height}`;
    if (this.boxes === null && this.reading !== pane.svg) {
      this.draw(); // the frame now, the boxes when read
      this._readBoxes();
    } else if (appearing || size !== this.sizedFor) {
      this.draw(); // the pane changed size, or highlights changed while it was hidden
    }
    this._moveFrame();
    this._place();
  }

  /** The frame over the part of the graph the pane shows. */
  _moveFrame() {
    const pane = this.pane;
    const vp = pane.viewport;
    const shown = pane.svg.getBoundingClientRect();
    const ratio = shown.width / pane.natural.width;
    const view = vp.getBoundingClientRect();
    const x0 = Math.max(0, (view.left + vp.clientLeft - shown.left) / ratio);
    const y0 = Math.max(0, (view.top + vp.clientTop - shown.top) / ratio);
    const x1 = Math.min(pane.natural.width, x0 + vp.clientWidth / ratio);
    const y1 = Math.min(pane.natural.height, y0 + vp.clientHeight / ratio);
    const f = this.factor;
    Object.assign(this.frame.style, {
      left: `${x0 * f.x}px`,
      top: `${y0 * f.y}px`,
      width: `${Math.max(2, (x1 - x0) * f.x)}px`,
      height: `${Math.max(2, (y1 - y0) * f.y)}px`,
    });
  }

  /** Paint the boxes (again: highlights changed), or only size the map while they are read. */
  draw() {
    const pane = this.pane;
    if (!pane.svg || !pane.natural || this.map.hidden) {
      if (!this.el.hidden) this._place(); // the "overview" button keeps clear of the selection
      return;
    }
    const vp = pane.viewport;
    const { width, height } = pane.natural;
    const roomWidth = Math.min(MAX_WIDTH, vp.clientWidth * WIDTH_SHARE);
    const roomHeight = Math.min(MAX_HEIGHT, vp.clientHeight * HEIGHT_SHARE);
    const scale = Math.min(roomWidth / width, roomHeight / height); // to scale, both ways
    const w = Math.floor(Math.max(width * scale, Math.min(MIN_SIDE, roomWidth)));
    const hgt = Math.floor(Math.max(height * scale, Math.min(MIN_SIDE, roomHeight)));
    this.factor = { x: w / width, y: hgt / height };
    this.sizedFor = `${vp.clientWidth}x${vp.clientHeight}/${width}x${height}`;
    const dpr = globalThis.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hgt * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${hgt}px`;
    this.map.style.width = `${w}px`;
    this.map.style.height = `${hgt}px`;
    const ctx = this.canvas.getContext("2d");
    if (ctx) {
      const { x: fx, y: fy } = this.factor;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, hgt);
      ctx.lineWidth = 1;
      for (const b of this.boxes || []) {
        if (b.cluster) {
          ctx.strokeStyle = COLOURS.cluster;
          ctx.strokeRect(b.x * fx, b.y * fy, b.w * fx, b.h * fy);
        } else {
          ctx.fillStyle = COLOURS[this._highlight(b.el)] || COLOURS.node;
          ctx.fillRect(b.x * fx, b.y * fy, b.w * fx, b.h * fy);
        }
      }
    }
    this._place();
  }

  _highlight(el) {
    const list = el.classList;
    if (list.contains("tst-selected")) return "selected";
    if (list.contains("tst-linked")) return "linked";
    if (list.contains("tst-match")) return "match";
    return "node";
  }

  // --- where it sits ----------------------------------------------------------------------

  /** The screen rectangles to keep clear: the selection's, then lit boxes and matches. */
  _keptClear() {
    const pane = this.pane;
    const selectedEl = pane.selected ? pane.elementFor(pane.selected) : null;
    const others = [];
    for (const id of [...(pane.linked || []), ...(pane.matches?.nodes || [])]) {
      if (others.length >= MAX_KEPT_CLEAR) break;
      const el = pane.elementFor(id);
      if (el && el !== selectedEl && el.classList.contains("node")) others.push(el.getBoundingClientRect());
    }
    return { selected: selectedEl ? selectedEl.getBoundingClientRect() : null, others };
  }

  /**
   * Put the overview (or its "overview" button) in a corner of the pane's drawing room: the
   * first corner that covers neither the selection nor a lit box, staying where it is while
   * no corner is better, and the corner that covers the least of the selection when all do.
   */
  _place() {
    const holder = this.el.parentNode;
    if (!holder || this.el.hidden) return;
    const vp = this.pane.viewport;
    const outer = holder.getBoundingClientRect();
    const view = vp.getBoundingClientRect();
    const left = view.left + vp.clientLeft;
    const top = view.top + vp.clientTop;
    const w = this.el.offsetWidth;
    const hgt = this.el.offsetHeight;
    const spot = (corner) => {
      const x = corner.endsWith("left") ? left + INSET : left + vp.clientWidth - w - INSET;
      const y = corner.startsWith("top") ? top + INSET : top + vp.clientHeight - hgt - INSET;
      return { left: x, top: y, right: x + w, bottom: y + hgt };
    };
    const { selected, others } = this._keptClear();
    const cost = (corner) => {
      const r = spot(corner);
      return [selected ? overlap(r, selected) : 0, others.filter((o) => overlap(r, o) > 0).length];
    };
    const costs = new Map(CORNERS.map((c) => [c, cost(c)]));
    const better = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    let best = CORNERS[0];
    for (const c of CORNERS) if (better(costs.get(c), costs.get(best))) best = c;
    const clear = (c) => costs.get(c)[0] === 0 && costs.get(c)[1] === 0;
    // Home when home is clear; otherwise no jumping between corners that are equally good.
    let corner = best;
    if (clear(CORNERS[0])) corner = CORNERS[0];
    else if (!better(costs.get(best), costs.get(this.corner))) corner = this.corner;
    const r = spot(corner);
    const x = `${Math.round(r.left - outer.left - holder.clientLeft)}px`;
    const y = `${Math.round(r.top - outer.top - holder.clientTop)}px`;
    // Only real changes: a style write makes the browser lay the pane out again.
    if (this.el.style.left !== x) this.el.style.left = x;
    if (this.el.style.top !== y) this.el.style.top = y;
    this.corner = corner;
    if (this.pane.el) this.pane.el.dataset.minimapCorner = corner;
  }

  // --- reading the picture ----------------------------------------------------------------

  async _readBoxes() {
    const pane = this.pane;
    const picture = pane.svg;
    this.reading = picture;
    const all = [...Array.from(pane.items.clusters.values(), (el) => [el, true]), ...Array.from(pane.items.nodes.values(), (el) => [el, false])];
    const boxes = [];
    for (let i = 0; i < all.length; i += READ_PER_TASK) {
      await yieldToPage();
      if (this.reading !== picture || pane.svg !== picture) return; // a newer picture came
      const shown = picture.getBoundingClientRect();
      const ratio = shown.width / pane.natural.width || 1;
      for (const [el, cluster] of all.slice(i, i + READ_PER_TASK)) {
        const r = el.getBoundingClientRect();
        boxes.push({ x: (r.left - shown.left) / ratio, y: (r.top - shown.top) / ratio, w: r.width / ratio, h: r.height / ratio, el, cluster });
      }
    }
    if (this.reading !== picture) return;
    this.boxes = boxes;
    this.reading = null;
    pane.el.dataset.minimapBoxes = String(boxes.length);
    this.draw();
  }

  // --- input ------------------------------------------------------------------------------

  _bindPointer() {
    let dragging = false;
    const move = (event) => {
      const r = this.canvas.getBoundingClientRect();
      this.pane.centreOn((event.clientX - r.left) / this.factor.x, (event.clientY - r.top) / this.factor.y);
    };
    this.map.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      event.stopPropagation();
      dragging = true;
      this.map.setPointerCapture?.(event.pointerId);
      move(event);
    });
    this.map.addEventListener("pointermove", (event) => {
      if (dragging) move(event);
    });
    const end = (event) => {
      dragging = false;
      this.map.releasePointerCapture?.(event.pointerId);
    };
    this.map.addEventListener("pointerup", end);
    this.map.addEventListener("pointercancel", end);
    this.el.addEventListener("click", (event) => event.stopPropagation());
  }

  // `m` in the graph pane switches the overview off and on (the pane suppresses notebook
  // shortcuts, so JupyterLab's "m: to Markdown" does not fire there).
  _bindKey() {
    this.pane.viewport.addEventListener("keydown", (event) => {
      if (event.key !== "m" && event.key !== "M") return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (this.why !== "" && this.why !== "off") return; // nothing to show or hide here
      event.preventDefault();
      event.stopPropagation();
      this.setOff(!this.off);
    });
  }
}
