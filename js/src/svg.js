// Turning Graphviz's SVG text into DOM, safely and without freezing the page.
//
// Graphviz escapes label text and attribute values, so names like `<script>` arrive as text.
// The SVG is still never put into the live page as a string: it is parsed inside a <template>
// (inert: no script runs, no image loads, no handler attaches), cleaned of anything active
// (<script>, <style>, <foreignObject>, embedded documents, `on*` attributes, links that leave
// the picture), and only then adopted. The HTML parser behind <template> is several times
// faster than DOMParser's XML parser on a 400 kB picture, which keeps each step of drawing a
// fully expanded ResNet-50 short.

const SVG_NS = "http://www.w3.org/2000/svg";
const ACTIVE = "script,style,foreignObject,iframe,object,embed,use,image,audio,video,link,meta";

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
  return root;
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
