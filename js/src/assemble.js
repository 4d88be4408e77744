// The DOT document for one widget state, put together from statements Python wrote.
//
// toolkit/render/dot.py is the only writer of DOT text: payload.dot holds every statement any
// state can need (each box as itself, each cluster open or closed, each fold, each edge's
// attributes, the graph header). This module only chooses which of them the state shows and
// in what order, as assemble_dot() does in Python; it formats nothing. A stored fixture of its
// output (tests/widgets/fixtures/assembled_dot.json, refreshed by the browser suite) is compared
// with Python's assembly in the unit suite.

import { countBoxes, countsAsBox, normaliseState, representatives } from "./collapse.js";

const INDENT = "  ";

/**
 * @param statements  payload.dot
 * @param index       indexDrawing(payload.drawing, payload.folds)
 * @param state       {depth, expanded, collapsed} (arrays or sets)
 * @param options     {folds (apply folds; default true), limit (boxes drawn at most)}
 * @returns {dot, drawn, total, truncated}
 */
export function assembleDot(statements, index, state, options = {}) {
  const { folds = true, limit = Infinity } = options;
  const { rep, resolve } = representatives(index, normaliseState(state), { folds });
  const total = countBoxes(index, rep);
  const truncated = total > limit;
  const drawn = new Set();
  let counted = 0; // boxes drawn, join points aside (countBoxes' rule)
  const members = new Map();
  const push = (key, stmt) => {
    if (!members.has(key)) members.set(key, []);
    members.get(key).push(stmt);
  };
  const closedBoxes = new Set();
  for (const n of index.drawing.nodes) {
    const r = rep.get(n.id);
    if (truncated && !drawn.has(r) && counted >= limit) continue;
    if (!drawn.has(r) && (r !== n.id || countsAsBox(n))) counted += 1;
    drawn.add(r);
    if (r === n.id) push(n.cluster, statements.boxes[n.id]);
    else closedBoxes.add(r);
  }
  for (const key of closedBoxes) {
    const [parent, stmt] = statements.closed[key];
    push(parent, stmt);
  }
  const children = new Map();
  for (const c of index.drawing.clusters) {
    if (resolve(c.key) !== null) continue; // inside a box, or a box itself
    if (!children.has(c.parent)) children.set(c.parent, []);
    children.get(c.parent).push(c.key);
  }

  const lines = [...statements.head];
  const emit = (key, indent) => {
    for (const stmt of members.get(key) ?? []) lines.push(indent + stmt);
    for (const child of children.get(key) ?? []) {
      const [opening, attributes] = statements.clusters[child];
      lines.push(indent + opening, indent + INDENT + attributes);
      emit(child, indent + INDENT);
      lines.push(indent + "}");
    }
  };
  emit("", INDENT);
  if (truncated) lines.push(statements.more[0] + String(total - counted) + statements.more[1]);
  const seen = new Set();
  for (const [srcId, dstId, attributes] of statements.edges) {
    const src = rep.get(srcId);
    const dst = rep.get(dstId);
    const pair = src + "\u0000" + dst;
    if (src === dst || (truncated && !(drawn.has(src) && drawn.has(dst))) || seen.has(pair)) continue;
    seen.add(pair);
    lines.push(`${INDENT}${statements.refs[src]} -> ${statements.refs[dst]}${attributes};`);
  }
  lines.push("}");
  return { dot: lines.join("\n") + "\n", drawn: counted, total, truncated };
}
