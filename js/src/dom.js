// Tiny DOM helpers. Every piece of graph data reaches the page through textContent or an
// attribute set with setAttribute, never through innerHTML, so names such as `<script>` or
// `"onmouseover=` stay text.

/** Create an element: h("div", {class: "x", title: "t"}, child, "text", ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A button. */
export function button(label, title, onclick, cls = "") {
  return h("button", { class: `tst-btn ${cls}`.trim(), title, type: "button", onclick }, label);
}

/** Scroll `target` into the middle of its scrolling `container`, if it is outside it. */
export function revealIn(container, target, { force = false } = {}) {
  const box = container.getBoundingClientRect();
  const r = target.getBoundingClientRect();
  const inside = r.top >= box.top && r.bottom <= box.bottom && r.left >= box.left && r.right <= box.right;
  if (inside && !force) return;
  container.scrollTop += r.top - box.top - (box.height - r.height) / 2;
  container.scrollLeft += r.left - box.left - (box.width - Math.min(r.width, box.width)) / 2;
}
