// Trace and script side by side. One toolbar drives both (module keys are the same on both
// sides, so opening layer1 opens it in both); a click on either side selects the matched node
// on the other, and the model's selected_trace_id / selected_script_id traits follow. The
// summary above them scrolls within a capped height, so it never pushes the graphs away.

import { CodePane } from "./code-pane.js";
import { DetailsPane, readableIds } from "./details.js";
import { h, setChildren } from "./dom.js";
import { fullscreenToggle } from "./fullscreen.js";
import { GraphPane, rankdirToggle, viewButtons } from "./graph-pane.js";
import { modelStore } from "./state.js";
import { makeToolbar } from "./toolbar.js";

const SIDES = ["trace", "script"];

/** Render a CompareWidget model into `el`; returns the cleanup function. */
export function renderCompare({ model, el, fallback }) {
  const data = { trace: model.get("_trace"), script: model.get("_script") };
  const pairs = model.get("_pairs") || [];
  const other = { trace: new Map(), script: new Map() };
  for (const [t, s] of pairs) {
    other.trace.set(t, s);
    other.script.set(s, t);
  }
  const store = modelStore(model);
  const message = h("div", { class: "tst-message", role: "status" });
  const say = (text) => {
    message.textContent = text || "";
  };

  const panes = {};
  const codes = {};
  const details = {};
  const columns = [];
  for (const side of SIDES) {
    const payload = data[side];
    if (!payload || !payload.drawing) {
      columns.push(
        h(
          "div",
          { class: "tst-col", dataset: { side } },
          h("div", { class: "tst-col-title" }, `torch.jit.${side}`),
          h("pre", { class: "tst-error" }, model.get("_scripting_error") || "nothing to show"),
        ),
      );
      continue;
    }
    const pane = new GraphPane({ payload, store, side });
    panes[side] = pane;
    details[side] = new DetailsPane({ pane, actions: { open: (k) => pane.open(k), close: (k) => pane.close(k) } });
    codes[side] = new CodePane({
      payload,
      onLine: (ids, where) => {
        // The line replaces the selection on both sides, in the model too (as in a single view):
        // its nodes are lit and listed, the clicked line stays marked.
        if (model.get("selected_trace_id") || model.get("selected_script_id")) {
          clearingForLine = true;
          for (const k of ["selected_trace_id", "selected_script_id", "selected_side"]) model.set(k, "");
          model.save_changes();
          clearingForLine = false;
        }
        root.dataset.selectedTrace = "";
        root.dataset.selectedScript = "";
        for (const s of SIDES) {
          if (!panes[s]) continue;
          panes[s].select("", { reveal: false });
          panes[s].link([]);
          if (s !== side) {
            details[s].clear();
            codes[s].clear();
          }
        }
        pane.link(ids);
        details[side].showLine(where, ids, (id) => pane.callbacks.onSelect(id));
        const listed = readableIds(pane.index, ids).length;
        say(`${side} · ${where}: ${listed} node${listed === 1 ? "" : "s"}`);
      },
    });
    columns.push(
      h(
        "div",
        { class: "tst-col tst-pane", dataset: { side } },
        h("div", { class: "tst-col-title" }, `torch.jit.${side}`, viewButtons(pane, `${payload.name}-${side}`)),
        pane.el,
        details[side].el,
        codes[side].el,
      ),
    );
  }
  const livePanes = SIDES.filter((s) => panes[s]).map((s) => panes[s]);
  const toolbar = makeToolbar({
    store,
    indexes: livePanes.map((p) => p.index),
    payloads: livePanes.map((p) => p.payload),
    limit: Math.min(...livePanes.map((p) => p.limit)),
    say,
    onReveal: () => livePanes.forEach((p) => p.revealFirstMatch({ afterNextRender: true })),
    controls: livePanes.length ? [rankdirToggle(livePanes)] : [],
  });

  let clearingForLine = false; // a code line click clears the selection without redrawing the line away
  const apply = () => {
    const ids = { trace: model.get("selected_trace_id"), script: model.get("selected_script_id") };
    const side = model.get("selected_side");
    root.dataset.selectedTrace = ids.trace || "";
    root.dataset.selectedScript = ids.script || "";
    for (const s of SIDES) {
      if (!panes[s]) continue;
      panes[s].select(ids[s]);
      if (ids[s]) {
        const box = panes[s].index.clusters.has(ids[s]) || panes[s].index.foldByKey.has(ids[s]);
        if (box) details[s].showBox(ids[s]);
        else details[s].show(ids[s]);
        codes[s].showNode(ids[s]);
      } else {
        details[s].clear(side && side !== s ? counterpartNote(side, ids[side]) : "Click a node for its details.");
        codes[s].clear();
      }
    }
  };

  const counterpartNote = (side, id) => {
    const marks = (data[side].drawing.nodes.find((n) => n.id === id) || {}).marks || [];
    if (side === "script" && marks.includes("lost")) return "No counterpart: the trace lost this branch or loop (it took one path only).";
    if (side === "script") return "No counterpart: only the script has this operation.";
    return "No counterpart: only the trace has this operation (an unrolled loop copy or a baked-in constant).";
  };

  const onSelect = (side) => (id) => {
    if (!id) {
      // Esc, or a click on empty canvas: nothing is selected on either side.
      for (const k of ["selected_trace_id", "selected_script_id", "selected_side"]) model.set(k, "");
      model.save_changes();
      for (const s of SIDES) panes[s]?.link([]);
      say("");
      apply();
      return;
    }
    const mate = other[side].get(id) || "";
    const patch = side === "trace" ? { selected_trace_id: id, selected_script_id: mate } : { selected_script_id: id, selected_trace_id: mate };
    for (const [k, v] of Object.entries(patch)) model.set(k, v);
    model.set("selected_side", side);
    model.save_changes();
    say(mate ? "" : counterpartNote(side, id));
    apply();
  };
  const matchSummaries = {};
  for (const side of SIDES) {
    if (!panes[side]) continue;
    panes[side].callbacks = {
      onSelect: onSelect(side),
      onStatus: say,
      onMatches: (summary, error) => {
        matchSummaries[side] = summary;
        const ids = livePanes.flatMap((p) => [...p.matches.nodes, ...p.matches.clusters]);
        toolbar.setMatches(Object.values(matchSummaries), ids, error);
      },
      onFallback: (reason, state) => fallback(reason, state, side),
      onRendered: () => {
        if (panes[side].selected) panes[side].select(panes[side].selected, { reveal: false });
      },
    };
  }
  const onModel = () => {
    if (!clearingForLine) apply();
  };
  for (const name of ["selected_trace_id", "selected_script_id"]) model.on(`change:${name}`, onModel);

  // The drawings carry their own colour key (toolkit/render/legend.py); an older payload
  // without one gets this one.
  const drawnKey = livePanes.some((p) => p.payload.dot.head.some((line) => line.includes('class="legend"')));
  const legend = drawnKey
    ? null
    : h(
        "div",
        { class: "tst-legend" },
        h("span", { class: "tst-key tst-key-lost" }, "lost by the trace"),
        h("span", { class: "tst-key tst-key-script" }, "only in the script"),
        h("span", { class: "tst-key tst-key-trace" }, "only in the trace"),
      );
  const full = fullscreenToggle();
  const root = h(
    "div",
    { class: "tst-root tst-compare" },
    h("div", { class: "tst-header" }, h("b", {}, model.get("_name")), legend, h("span", { class: "tst-group" }, full.el)),
    h("pre", { class: "tst-summary", tabindex: "0", title: "what differs between the trace and the script" }, model.get("_summary")),
    toolbar.el,
    message,
    h("div", { class: "tst-columns" }, columns),
  );
  full.attach(root);
  setChildren(el, root);
  Promise.all(livePanes.map((p) => p.refresh())).then(apply);
  return () => {
    for (const name of ["selected_trace_id", "selected_script_id"]) model.off(`change:${name}`, onModel);
    full.dispose();
    livePanes.forEach((p) => p.dispose());
    store.dispose();
  };
}
