// The overview of a graph larger than its pane: every drawn box as a small rectangle on a
// canvas, the visible part of the graph as a frame over it. A click or a drag in the overview
// moves the view there. Hidden whenever the whole graph fits in the pane.
//
// Why a canvas of rectangles and not a second copy of the SVG: a fully expanded ResNet-50 is
// a thousand boxes; a clone would double the page's DOM, and an <img> of the SVG text is
// rasterised on the main thread. The rectangles are read once per picture, when first shown,
// a few hundred per task after the picture is on screen (never in the task that shows it).

import { h } from "./dom.js";
import { yieldToPage } from "./svg.js";

const MAX_WIDTH = 180;
// A tall graph (a ResNet opened to its convolutions is 20 times taller than wide) gets a tall
// overview, up to the pane's height less this margin, so it is more than a hairline.
const MIN_HEIGHT = 80;
const MAX_HEIGHT = 360;
const HEIGHT_MARGIN = 40;
// Shown once the graph is this much larger than the pane: a graph a few pixels too tall
// scrolls without an overview covering part of it.
const OVERFLOW = 1.15;
const READ_PER_TASK = 300;
const COLOURS = {
  cluster: "#b0bec5",
  node: "#90a4ae",
  match: "#d81b60",
  linked: "#00897b",
  selected: "#f57f17",
};

export class Minimap {
  /** @param pane the GraphPane it summarises (svg, natural size, scale, viewport, centreOn) */
  constructor(pane) {
    this.pane = pane;
    this.canvas = h("canvas", { class: "tst-minimap-canvas" });
    this.frame = h("div", { class: "tst-minimap-view" });
    this.el = h("div", { class: "tst-minimap", title: "overview: click or drag to move the view", hidden: true }, this.canvas, this.frame);
    this.boxes = null; // [{x, y, w, h, el, cluster}] in the picture's natural pixels
    this.reading = null; // the picture whose boxes are being read
    this.factor = 1; // overview pixels per natural pixel
    this._bindPointer();
  }

  /** A new picture was shown: its boxes are read again when the overview is next drawn. */
  reset() {
    this.boxes = null;
    this.reading = null;
  }

  /** Show or hide the overview for the current scale and scroll, and move its frame. */
  update() {
    const pane = this.pane;
    if (!pane.svg || !pane.natural) {
      this.el.hidden = true;
      return;
    }
    const vp = pane.viewport;
    const shown = pane.svg.getBoundingClientRect();
    const larger = shown.width > vp.clientWidth * OVERFLOW || shown.height > vp.clientHeight * OVERFLOW;
    this.el.hidden = !larger;
    pane.el.dataset.minimap = larger ? "shown" : "hidden";
    if (!larger) return;
    if (this.boxes === null && this.reading !== pane.svg) {
      this.draw(); // the frame now, the boxes when read
      this._readBoxes();
    }
    const ratio = shown.width / pane.natural.width;
    const view = vp.getBoundingClientRect();
    const x0 = Math.max(0, (view.left + vp.clientLeft - shown.left) / ratio);
    const y0 = Math.max(0, (view.top + vp.clientTop - shown.top) / ratio);
    const x1 = Math.min(pane.natural.width, x0 + vp.clientWidth / ratio);
    const y1 = Math.min(pane.natural.height, y0 + vp.clientHeight / ratio);
    const f = this.factor;
    Object.assign(this.frame.style, {
      left: `${x0 * f}px`,
      top: `${y0 * f}px`,
      width: `${Math.max(2, (x1 - x0) * f)}px`,
      height: `${Math.max(2, (y1 - y0) * f)}px`,
    });
  }

  /** Paint the boxes (again: highlights changed), or only size the map while they are read. */
  draw() {
    const pane = this.pane;
    if (!pane.svg || !pane.natural) return;
    const { width, height } = pane.natural;
    const room = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, pane.viewport.clientHeight - HEIGHT_MARGIN));
    this.factor = Math.min(MAX_WIDTH / width, room / height);
    const w = Math.max(8, Math.round(width * this.factor));
    const hgt = Math.max(8, Math.round(height * this.factor));
    const dpr = globalThis.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hgt * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${hgt}px`;
    this.el.style.width = `${w}px`;
    this.el.style.height = `${hgt}px`;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr * this.factor, 0, 0, dpr * this.factor, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.lineWidth = 1 / this.factor;
    for (const b of this.boxes || []) {
      if (b.cluster) {
        ctx.strokeStyle = COLOURS.cluster;
        ctx.strokeRect(b.x, b.y, b.w, b.h);
      } else {
        ctx.fillStyle = COLOURS[this._highlight(b.el)] || COLOURS.node;
        ctx.fillRect(b.x, b.y, b.w, b.h);
      }
    }
  }

  _highlight(el) {
    const list = el.classList;
    if (list.contains("tst-selected")) return "selected";
    if (list.contains("tst-linked")) return "linked";
    if (list.contains("tst-match")) return "match";
    return "node";
  }

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

  _bindPointer() {
    let dragging = false;
    const move = (event) => {
      const r = this.canvas.getBoundingClientRect();
      this.pane.centreOn((event.clientX - r.left) / this.factor, (event.clientY - r.top) / this.factor);
    };
    this.el.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      event.stopPropagation();
      dragging = true;
      this.el.setPointerCapture?.(event.pointerId);
      move(event);
    });
    this.el.addEventListener("pointermove", (event) => {
      if (dragging) move(event);
    });
    const end = (event) => {
      dragging = false;
      this.el.releasePointerCapture?.(event.pointerId);
    };
    this.el.addEventListener("pointerup", end);
    this.el.addEventListener("pointercancel", end);
    this.el.addEventListener("click", (event) => event.stopPropagation());
  }
}
