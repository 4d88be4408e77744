// The widget bundle, loaded once per page (see toolkit/widgets/__init__.py for how): it puts
// the rendering API in a page-wide slot that each widget's tiny loader module waits on,
// injects the stylesheet once, and starts the layout worker early.

import { renderCompare } from "./compare-view.js";
import { assembleDot } from "./assemble.js";
import { countDrawn, indexDrawing } from "./collapse.js";
import { renderGraph } from "./graph-view.js";
import { clearLayoutCache, layout, warmUp } from "./layout.js";
import css from "./styles.css";

/* global BUNDLE_VERSION */
const SLOT = Symbol.for("torchscript-toolkit.widgets/1");
const STYLE_ID = "torchscript-toolkit-widgets-css";

function injectCss() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = css;
  document.head.append(style);
}

const api = {
  version: BUNDLE_VERSION,
  /** Render a GraphWidget or CompareWidget model; returns a cleanup function. */
  render({ model, el, fallback }) {
    injectCss();
    el.classList.add("tst-host");
    return model.get("_kind") === "compare" ? renderCompare({ model, el, fallback }) : renderGraph({ model, el, fallback });
  },
  // Exposed for tests and benchmarks in a plain page.
  assembleDot,
  indexDrawing,
  countDrawn,
  layout,
  clearLayoutCache,
};

const slot = (globalThis[SLOT] ??= { api: null, waiting: [], loads: 0 });
slot.loads += 1;
if (slot.api === null) {
  slot.api = api;
  for (const resolve of slot.waiting.splice(0)) resolve(api);
  warmUp();
}

// anywidget needs a default export; the host model has no view of its own.
export default { initialize() {} };
