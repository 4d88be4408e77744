// Each widget's own front-end module (a few hundred bytes, so widget state stays small). It
// waits for the page-wide bundle, delivered once per page by the bundle host, then renders.
// If the bundle is missing or never arrives, or rendering fails, it shows the static picture
// drawn by the kernel, with a note saying why.
const SLOT = Symbol.for("torchscript-toolkit.widgets/1");
const WAIT_MS = 20000;

function whenLoaded() {
  const slot = (globalThis[SLOT] ??= { api: null, waiting: [], loads: 0 });
  if (slot.api) return Promise.resolve(slot.api);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), WAIT_MS);
    slot.waiting.push((api) => {
      clearTimeout(timer);
      resolve(api);
    });
  });
}

function cleanSvg(text) {
  const root = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  if (!root || root.localName !== "svg") throw new Error("not an SVG picture");
  for (const el of Array.from(root.querySelectorAll("script,foreignObject,iframe,object,embed"))) el.remove();
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name) || (/href$/i.test(a.name) && !a.value.startsWith("#"))) el.removeAttribute(a.name);
    }
  }
  return document.importNode(root, true);
}

let requests = 0;
function staticFallback(model, el, reason, state, side) {
  const id = ++requests;
  const note = document.createElement("div");
  note.className = "tst-fallback-note";
  note.setAttribute("style", "background:#fff3cd;border:1px solid #e0b84c;border-radius:3px;padding:3px 6px;margin:2px 0;font:12px sans-serif");
  note.textContent = `Interactive view unavailable: ${reason}. Showing the static picture instead.`;
  const body = document.createElement("div");
  body.className = "tst-fallback-body";
  body.setAttribute("style", "overflow:auto;max-height:640px");
  body.textContent = "asking the kernel for the static picture…";
  el.replaceChildren(note, body);
  el.dataset.state = "fallback";
  model.on("msg:custom", (msg) => {
    if (!msg || msg.type !== "static-svg" || msg.request !== id) return;
    if (msg.svg) {
      try {
        body.replaceChildren(cleanSvg(msg.svg));
      } catch (error) {
        body.textContent = String(error.message || error);
      }
    } else {
      body.textContent = msg.error || "no picture";
    }
    el.dataset.fallback = "shown";
  });
  model.send({ type: "static-svg", request: id, reason, state: state || null, side: side || "" });
}

export default {
  async render({ model, el }) {
    performance.mark("tst:loader-render");
    const fallback = (reason, state = null, side = "") => staticFallback(model, el, reason, state, side);
    const problem = model.get("_bundle_problem");
    if (problem) return fallback(problem);
    let api;
    try {
      api = await whenLoaded();
    } catch {
      return fallback("the widget bundle did not load within 20 s");
    }
    try {
      return api.render({ model, el, fallback });
    } catch (error) {
      return fallback(`the interactive view failed (${error.message || error})`);
    }
  },
};
