// The DOT writer of the browser widget: toolkit/render/dot.py, ported line for line.
//
// Why a port: expanding a module must not wait for the kernel, so the browser writes the DOT
// for the current expansion itself and lays it out in a worker. With no folds, no collapsed
// if/loop blocks and no truncation, writeDot() returns exactly what Python's write_dot()
// returns for the same depth/expanded/collapsed (a browser test checks this on the zoo).
//
// What only the widget adds:
//   - folds: runs of identical sibling modules drawn as one "Bottleneck ×5" box until opened
//     (a fold is open when its key is in `expanded`);
//   - if/loop clusters collapse to one box when their key is in `collapsed`;
//   - a drawing limit: past `limit` boxes, only the first ones are drawn, plus a note.

const NODE_STYLE = {
  op: 'shape=box style="rounded,filled" fillcolor="#e8f0fe" color="#4a6fa5"',
  call: 'shape=box style="rounded,filled,bold" fillcolor="#efe6fb" color="#7b52ab"',
  prim: 'shape=box style="rounded,filled" fillcolor="#f3f3f3" color="#888888"',
  if: 'shape=diamond style=filled fillcolor="#fff4d6" color="#b58900"',
  loop: 'shape=hexagon style=filled fillcolor="#e3f6ec" color="#2e8b57"',
  input: 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
  output: 'shape=oval style=filled fillcolor="#ffffff" color="#333333"',
  collapsed: 'shape=box3d style=filled fillcolor="#dde7f3" color="#4a6fa5"',
};
const FOLD_STYLE = 'shape=box3d style="filled,bold" fillcolor="#e6eefa" color="#2f5d9a" peripheries=2';
const FLOW_BOX_STYLE = {
  if: 'shape=box3d style=filled fillcolor="#fff4d6" color="#b58900"',
  loop: 'shape=box3d style=filled fillcolor="#e3f6ec" color="#2e8b57"',
};
const CLUSTER_STYLE = {
  module: 'style="rounded" color="#4a6fa5" fontcolor="#4a6fa5"',
  if: 'style="dashed,rounded" color="#b58900" fontcolor="#8a6a00"',
  then: 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
  else: 'style="rounded" color="#d9c28a" fontcolor="#8a6a00"',
  loop: 'style="dashed,rounded" color="#2e8b57" fontcolor="#2e8b57"',
  body: 'style="rounded" color="#9fd3b5" fontcolor="#2e8b57"',
};
const MARK_STYLE = {
  lost: 'fillcolor="#ffd6d6" color="#c0392b" penwidth=2',
  "only-script": 'fillcolor="#ffe3c2" color="#d35400" penwidth=2',
  "only-trace": 'fillcolor="#d6ecff" color="#1f6fb2" penwidth=2',
  highlight: 'fillcolor="#fff59d" color="#f57f17" penwidth=3',
};
const CLUSTER_MARK_STYLE = {
  lost: 'color="#c0392b" penwidth=2 bgcolor="#fff0f0"',
  highlight: 'color="#f57f17" penwidth=3',
};
const CONTROL_KINDS = new Set(["if", "loop"]);

/** Escape for a double-quoted DOT string (graphviz escapes HTML in its SVG itself). */
export function esc(text) {
  return String(text)
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("\n", "\\n")
    .replaceAll("\r", "");
}

/**
 * Index a payload's view graph once: clusters by key, fold membership, parents.
 * Everything later is a walk over these maps, linear in the graph size.
 */
export function indexView(view, folds = []) {
  const clusters = new Map();
  view.clusters.forEach((c, i) => clusters.set(c.key, { ...c, index: i }));
  const foldOf = new Map(); // member cluster key -> fold
  const foldByKey = new Map();
  for (const f of folds) {
    foldByKey.set(f.key, f);
    for (const m of f.members) foldOf.set(m, f);
  }
  const nodeById = new Map(view.nodes.map((n) => [n.id, n]));
  return { view, clusters, foldOf, foldByKey, nodeById };
}

/** Normalise a widget state: depth (null = all), expanded and collapsed key sets. */
export function normaliseState(state = {}) {
  return {
    depth: state.depth === undefined ? null : state.depth,
    expanded: new Set(state.expanded || []),
    collapsed: new Set(state.collapsed || []),
  };
}

/** Is this cluster drawn as one box, by itself (not counting its ancestors)? */
function closesItself(c, state) {
  if (c.kind === "module") {
    const deep = state.depth !== null && c.module_depth > state.depth;
    return state.collapsed.has(c.key) || (deep && !state.expanded.has(c.key));
  }
  return CONTROL_KINDS.has(c.kind) && state.collapsed.has(c.key);
}

/**
 * For every cluster key: the key of the outermost box that swallows it (a collapsed cluster
 * or a closed fold), or null when the cluster is drawn open. Memoised per call.
 */
function closerResolver(index, state, useFolds) {
  const cache = new Map();
  const resolve = (key) => {
    if (!key) return null;
    if (cache.has(key)) return cache.get(key);
    const c = index.clusters.get(key);
    let found = resolve(c.parent); // an outer closer wins
    if (found === null) {
      const fold = useFolds ? index.foldOf.get(key) : undefined;
      if (fold && !state.expanded.has(fold.key)) found = fold.key;
      else if (closesItself(c, state)) found = key;
    }
    cache.set(key, found);
    return found;
  };
  return resolve;
}

/** Where a box sits: a fold in its parent cluster, a collapsed cluster in its parent. */
function boxParent(index, key) {
  const fold = index.foldByKey.get(key);
  return fold ? fold.parent : index.clusters.get(key).parent;
}

/**
 * Representatives: view node id -> the id drawn for it (itself, or its box's key).
 */
export function representatives(index, state, { folds = true } = {}) {
  const resolve = closerResolver(index, state, folds);
  const rep = new Map();
  for (const n of index.view.nodes) rep.set(n.id, resolve(n.cluster) ?? n.id);
  return { rep, resolve };
}

/** How many boxes a state draws (nodes drawn as themselves plus one per box). */
export function countDrawn(index, state, options = {}) {
  const { rep } = representatives(index, normaliseState(state), options);
  return new Set(rep.values()).size;
}

function nodeStmt(n) {
  const style = NODE_STYLE[n.kind] ?? NODE_STYLE.prim;
  const marks = n.marks.filter((m) => m in MARK_STYLE).map((m) => MARK_STYLE[m]).join(" ");
  const label = n.label.map(esc).join("\\n");
  const cls = ["node-" + n.kind, ...n.marks].join(" ");
  return (
    `"${esc(n.id)}" [label="${label}" tooltip="${esc(n.tooltip)}" id="node:${esc(n.id)}"` +
    ` class="${cls}" ${style} ${marks}];`
  );
}

function plural(count) {
  return `${count} node${count !== 1 ? "s" : ""}`;
}

function boxStmt(index, key, count) {
  const fold = index.foldByKey.get(key);
  if (fold) {
    const what = fold.type ? `${fold.type} ×${fold.members.length}` : `×${fold.members.length}`;
    return (
      `"${esc(key)}" [label="${esc(fold.label)}\\n${esc(what)}" tooltip="${esc(
        `${fold.members.length} identical blocks folded (${plural(count)}): click to open`,
      )}" id="node:${esc(key)}" class="node-fold" ${FOLD_STYLE}];`
    );
  }
  const c = index.clusters.get(key);
  if (CONTROL_KINDS.has(c.kind)) {
    return (
      `"${esc(key)}" [label="${esc(c.label)}\\n${plural(count)}" tooltip="collapsed: ${esc(c.label)}"` +
      ` id="node:${esc(key)}" class="node-collapsed node-collapsed-${c.kind}" ${FLOW_BOX_STYLE[c.kind]}];`
    );
  }
  return (
    `"${esc(key)}" [label="${esc(c.label)}\\n${plural(count)}" tooltip="collapsed: ${esc(c.label)}"` +
    ` id="node:${esc(key)}" class="node-collapsed" ${NODE_STYLE.collapsed}];`
  );
}

/**
 * DOT for the view in `state`.
 *
 * @param index    indexView(payload.view, payload.folds)
 * @param state    {depth, expanded, collapsed} (arrays or sets)
 * @param options  {rankdir, edgeLabels, folds (apply folds; default true), limit}
 * @returns {dot, drawn, total, truncated}
 */
export function writeDot(index, state, options = {}) {
  const { rankdir = "TB", edgeLabels = true, folds = true, limit = Infinity } = options;
  const st = normaliseState(state);
  const { view, clusters } = index;
  const { rep, resolve } = representatives(index, st, { folds });

  const total = new Set(rep.values()).size;
  const truncated = total > limit;
  const drawnItems = new Set();
  const members = new Map();
  const push = (key, stmt) => {
    if (!members.has(key)) members.set(key, []);
    members.get(key).push(stmt);
  };
  const boxes = new Map();
  for (const n of view.nodes) {
    const r = rep.get(n.id);
    if (truncated && !drawnItems.has(r) && drawnItems.size >= limit) continue;
    drawnItems.add(r);
    if (r === n.id) push(n.cluster, nodeStmt(n));
    else boxes.set(r, (boxes.get(r) ?? 0) + 1);
  }
  for (const [key, count] of boxes) push(boxParent(index, key), boxStmt(index, key, count));

  const children = new Map();
  for (const c of view.clusters) {
    if (resolve(c.key) !== null) continue; // inside a box (or a box itself)
    if (!children.has(c.parent)) children.set(c.parent, []);
    children.get(c.parent).push(c.key);
  }

  const lines = [
    `digraph "${esc(view.name)}" {`,
    `  graph [rankdir=${rankdir} fontname=Helvetica fontsize=11 nodesep=0.25 ranksep=0.3 newrank=true];`,
    '  node [fontname=Helvetica fontsize=10 height=0.3 margin="0.08,0.03"];',
    '  edge [fontname=Helvetica fontsize=8 color="#666666" arrowsize=0.6];',
  ];
  const emit = (key, indent) => {
    for (const stmt of members.get(key) ?? []) lines.push(indent + stmt);
    for (const child of children.get(key) ?? []) {
      const c = clusters.get(child);
      const style = CLUSTER_STYLE[c.kind] ?? "";
      const marks = c.marks.filter((m) => m in CLUSTER_MARK_STYLE).map((m) => CLUSTER_MARK_STYLE[m]).join(" ");
      const cls = ["cluster-" + c.kind, ...c.marks].join(" ");
      lines.push(`${indent}subgraph cluster_${c.index} {`);
      lines.push(
        `${indent}  graph [label="${esc(c.label)}" id="cluster:${esc(c.key)}" class="${cls}"` +
          ` fontsize=10 labeljust=l ${style} ${marks}];`,
      );
      emit(child, indent + "  ");
      lines.push(`${indent}}`);
    }
  };
  emit("", "  ");
  if (truncated) {
    lines.push(
      `  "__more__" [label="${esc(`… ${total - drawnItems.size} more boxes not drawn (limit ${limit})`)}"` +
        ` id="node:__more__" class="node-more" shape=note style=filled fillcolor="#fff8e1" color="#b58900"];`,
    );
  }
  const seen = new Set();
  for (const [src0, dst0, label] of view.edges) {
    const src = rep.get(src0);
    const dst = rep.get(dst0);
    if (src === dst) continue;
    if (truncated && !(drawnItems.has(src) && drawnItems.has(dst))) continue;
    const pair = src + "\u0000" + dst;
    if (seen.has(pair)) continue;
    seen.add(pair);
    const text = edgeLabels && label ? ` [label="${esc(label)}"]` : "";
    lines.push(`  "${esc(src)}" -> "${esc(dst)}"${text};`);
  }
  lines.push("}");
  return { dot: lines.join("\n") + "\n", drawn: drawnItems.size, total, truncated };
}
