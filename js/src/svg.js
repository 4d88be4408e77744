// Turning Graphviz's SVG text into DOM, safely and without freezing the page.
//
// Graphviz escapes label text and attribute values, so names like `<script>` arrive as text.
// The SVG is still never put into the live page as a string: it is parsed inside a <template>
// (inert: no script runs, no image loads, no handler attaches), cleaned of anything active
// (<script>, <style>, <foreignObject>, embedded documents, `on*` attributes, links that leave
// the picture), and only then adopted. The HTML parser behind <template> is several times
// faster than DOMParser's XML parser on a 400 kB picture. A large picture is parsed and put in
// the page in slices of its items (buildSvg), each slice laid out in its own short task, so a
// thousand boxes never hold the page for more than a few tens of milliseconds at a time.

const SVG_NS = "http://www.w3.org/2000/svg";
const ACTIVE = "script,style,foreignObject,iframe,object,embed,use,image,audio,video,link,meta";

// Items parsed per call while building; slices of calls are cut by time (SLICE_MS).
const ITEMS_PER_PARSE = 40;
const SLICE_MS = 12;

/** Parse SVG text into an inert, cleaned <svg> element (not yet in the page). */
export function parseSvg(text) {
  const start = text.indexOf("<svg");
  if (start < 0) throw new Error("the layout did not produce an SVG picture");
  const template = document.createElement("template");
  template.innerHTML = text.slice(start);
  const root = template.content.firstElementChild;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg") {
    throw new Error("the layout did not produce an SVG picture");
  }
  clean(root);
  return root;
}

/**
 * Split Graphviz SVG text into its frame (the <svg> and the graph group, with no items) and
 * the text of each item (node, edge, cluster group) in order. Labels and attribute values are
 * escaped by Graphviz, so every `<g` and `</g>` in the text is a tag: counting them is exact.
 */
export function splitSvg(text) {
  const start = Math.max(0, text.indexOf("<svg"));
  const tags = /<(\/?)g[\s>]/g;
  tags.lastIndex = start;
  const items = [];
  let depth = 0;
  let first = -1;
  let itemStart = -1;
  let m;
  while ((m = tags.exec(text)) !== null) {
    if (m[1]) {
      depth -= 1;
      if (depth === 1) items.push(text.slice(itemStart, m.index + 4));
      if (depth === 0) {
        const frame = first < 0 ? text.slice(start) : text.slice(start, first) + text.slice(m.index);
        return { frame, items };
      }
    } else {
      depth += 1;
      if (depth === 2) {
        itemStart = m.index;
        if (first < 0) first = m.index;
      }
    }
  }
  return { frame: text.slice(start), items: [] }; // not the shape expected: parse it whole
}

/**
 * Parse `text` and put it in the page in slices: `mount(svg)` receives the empty, cleaned
 * frame first (to size it and insert it, hidden), then the items are parsed, cleaned, appended
 * and laid out slice by slice, the page getting control back between slices. Stops early, with
 * null, as soon as `stale()` says a newer picture superseded this one.
 */
export async function buildSvg(text, { mount, stale = () => false }) {
  const { frame, items } = splitSvg(text);
  const svg = parseSvg(frame);
  const graph = svg.querySelector("g.graph") || svg;
  mount(svg);
  let next = 0;
  while (next < items.length) {
    const started = performance.now();
    while (next < items.length && performance.now() - started < SLICE_MS) {
      graph.append(...parseItems(items.slice(next, next + ITEMS_PER_PARSE).join("\n")));
      next += ITEMS_PER_PARSE;
    }
    svg.getBoundingClientRect(); // lay this slice out now, inside this short task
    await yieldToPage();
    if (stale()) return null;
  }
  return svg;
}

/** Parse a run of item groups (inside an <svg>, so they get SVG's namespace), cleaned. */
function parseItems(text) {
  const template = document.createElement("template");
  template.innerHTML = `<svg>${text}</svg>`; // the HTML parser puts xlink:title in its namespace itself
  const holder = template.content.firstElementChild;
  clean(holder);
  return Array.from(holder.children);
}

/** Remove everything active from a parsed picture, and title its items in words. */
function clean(root) {
  for (const el of Array.from(root.querySelectorAll(ACTIVE))) el.remove();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let el = root; el; el = walker.nextNode()) {
    const attrs = el.attributes;
    for (let i = attrs.length - 1; i >= 0; i -= 1) {
      const name = attrs[i].name;
      const first = name.charCodeAt(0) | 32;
      if (first === 111 && (name.charCodeAt(1) | 32) === 110) {
        el.removeAttribute(name); // on*
      } else if (first !== 105 && name.endsWith("href") && !attrs[i].value.startsWith("#")) {
        el.removeAttribute(name); // href / xlink:href leaving the picture
      }
    }
  }
  titleItems(root);
}

/**
 * Give every node, cluster and edge a hover title in the student's words. Graphviz writes
 * each item's DOT name (`n11`, `cluster_3`, `n4->n7`) as its <title>, and the browser shows
 * the first title it meets going up from the pointer, so the DOT tooltip (kept on an inner
 * <a>) or else the item's own label text replaces it.
 */
function titleItems(root) {
  for (const g of root.querySelectorAll("g.node, g.cluster, g.edge")) {
    const title = g.firstElementChild && g.firstElementChild.localName === "title" ? g.firstElementChild : null;
    if (!title) continue;
    const link = g.querySelector("a");
    const tooltip = (link && link.getAttribute("xlink:title")) || "";
    const words = tooltip || Array.from(g.querySelectorAll("text"), (t) => t.textContent).join(" ").trim();
    if (words) title.textContent = words;
    else title.remove();
  }
}

/** Move a parsed picture into this document (cheaper than cloning it). */
export function adopt(svg) {
  return document.adoptNode(svg);
}

/** Width and height of a Graphviz SVG in CSS pixels (from its viewBox, in points). */
export function svgSize(svg) {
  const box = (svg.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
  if (box.length === 4 && box[2] > 0) return { width: box[2] * (96 / 72), height: box[3] * (96 / 72) };
  return { width: parseFloat(svg.getAttribute("width")) || 100, height: parseFloat(svg.getAttribute("height")) || 100 };
}

/** Index the drawn items: id -> <g> element, for nodes and clusters. */
export function indexSvg(svg) {
  const nodes = new Map();
  const clusters = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    if (g.id.startsWith("node:")) nodes.set(g.id.slice(5), g);
  }
  for (const g of svg.querySelectorAll("g.cluster")) {
    if (g.id.startsWith("cluster:")) clusters.set(g.id.slice(8), g);
  }
  return { nodes, clusters };
}

/** Let the browser paint and handle input before the next step of a long job. */
export function yieldToPage() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
