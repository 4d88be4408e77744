// The interactive view of one graph: toolbar, graph pane, details, TorchScript and Python
// code, with the selection kept in the model's `selected_id` trait (Python reads it back).
// The opening banner says how the view opened; it goes at the first change of expansion.

import { CodePane } from "./code-pane.js";
import { DetailsPane, readableIds } from "./details.js";
import { h, setChildren } from "./dom.js";
import { fullscreenToggle } from "./fullscreen.js";
import { GraphPane, rankdirToggle, viewButtons } from "./graph-pane.js";
import { modelStore } from "./state.js";
import { makeToolbar } from "./toolbar.js";

/** The expansion part of a state, as one comparable string. */
const expansionOf = (s) => JSON.stringify([s.depth, [...s.expanded].sort(), [...s.collapsed].sort()]);

/** Render a GraphWidget model into `el`; returns the cleanup function. */
export function renderGraph({ model, el, fallback }) {
  performance.mark("tst:render");
  const payload = model.get("_data");
  const store = modelStore(model);
  const message = h("div", { class: "tst-message", role: "status" });
  const say = (text) => {
    message.textContent = text || "";
  };

  const pane = new GraphPane({ payload, store });
  const details = new DetailsPane({
    pane,
    actions: { open: (key) => pane.open(key), close: (key) => pane.close(key) },
  });
  let clearingForLine = false;
  const code = new CodePane({
    payload,
    onLine: (ids, where) => {
      // The line replaces the selected node: its details and highlight go, the line's come.
      pane.select("", { reveal: false });
      root.dataset.selected = "";
      if (model.get("selected_id")) {
        clearingForLine = true;
        model.set("selected_id", "");
        model.save_changes();
        clearingForLine = false;
      }
      pane.link(ids);
      details.showLine(where, ids, (id) => pane.callbacks.onSelect(id));
      const listed = readableIds(pane.index, ids).length;
      say(listed ? `${where}: ${listed} node${listed === 1 ? "" : "s"} highlighted` : `${where}: no node`);
      root.dataset.linked = ids.join(" ");
    },
  });
  const toolbar = makeToolbar({
    store,
    indexes: [pane.index],
    payloads: [payload],
    limit: pane.limit,
    say,
    onReveal: () => pane.revealFirstMatch({ afterNextRender: true }),
    controls: [rankdirToggle([pane])],
  });

  const select = (id, { fromModel = false } = {}) => {
    pane.select(id);
    root.dataset.selected = id || "";
    if (!id) {
      pane.link([]);
      root.dataset.linked = "";
      details.clear();
      code.clear();
      return;
    }
    if (pane.index.foldByKey.has(id) || pane.index.clusters.has(id)) details.showBox(id);
    else details.show(id);
    const found = code.showNode(id);
    if (!fromModel && !found.code && payload.details[id] && !id.startsWith("in:") && id !== "out") {
      say("This node has no line of its own in the TorchScript code (it may be folded into a library call).");
    }
  };

  pane.callbacks = {
    onSelect: (id) => {
      say("");
      model.set("selected_id", id);
      model.save_changes();
      select(id);
    },
    onStatus: say,
    onMatches: (summary, error) => toolbar.setMatches([summary], [...pane.matches.nodes, ...pane.matches.clusters], error),
    onFallback: (reason, state) => fallback(reason, state, ""),
    onRendered: () => {
      if (pane.selected) pane.select(pane.selected, { reveal: false });
    },
  };
  const onSelected = () => {
    if (!clearingForLine) select(model.get("selected_id"), { fromModel: true });
  };
  model.on("change:selected_id", onSelected);

  const notice = payload.notice ? h("div", { class: "tst-notice" }, payload.notice) : null;
  const opening = expansionOf(store.state());
  const dropNotice = store.subscribe(() => {
    if (!notice || expansionOf(store.state()) === opening) return;
    notice.remove(); // it described the opening view, which is gone
    dropNotice();
  });
  const full = fullscreenToggle();
  const root = h(
    "div",
    { class: "tst-root tst-graph-widget" },
    h("div", { class: "tst-header" }, h("b", {}, payload.name), ` · ${payload.origin}`, viewButtons(pane, payload.name), full.el),
    notice,
    toolbar.el,
    message,
    h("div", { class: "tst-body" }, h("div", { class: "tst-main" }, pane.el), h("div", { class: "tst-side" }, details.el, code.el)),
  );
  full.attach(root);
  setChildren(el, root);
  performance.mark("tst:dom-built");
  pane.refresh().then(() => {
    if (model.get("selected_id")) onSelected();
  });
  return () => {
    model.off("change:selected_id", onSelected);
    full.dispose();
    pane.dispose();
    store.dispose();
  };
}
