// Which clusters are open in a widget state: toolkit/render/collapse.py's rule, in the browser.
//
// Why the browser has it at all: expanding a module must not wait for the kernel, so the page
// decides for itself which boxes a click opens. It decides only that. Every DOT statement it
// may show was written in Python (payload.dot, see assemble.js), and the unit suite checks
// this rule's output against Python's through a stored fixture (tests/widgets).

const CONTROL_FLOW_KINDS = new Set(["if", "loop"]);
// Kinds drawn as a point (an if's join), not as a box with words: no count includes them
// (toolkit/render/drawing.py POINT_KINDS).
const POINT_KINDS = new Set(["join"]);

/** Does this drawing node count as a box a view says it draws? (drawing.counts_as_box) */
export function countsAsBox(node) {
  return !POINT_KINDS.has(node.kind);
}

/** Boxes drawn for representatives `rep`: one per distinct id, an open join point aside. */
export function countBoxes(index, rep) {
  const counted = new Set();
  for (const n of index.drawing.nodes) {
    const r = rep.get(n.id);
    if (r !== n.id || countsAsBox(n)) counted.add(r);
  }
  return counted.size;
}

/**
 * Index a payload's drawing once: clusters by key, fold membership, boxes by id.
 * Everything later is a walk over these maps, linear in the drawing's size.
 * A fold holds its member clusters and, for library code, a few boxes of its own (f.boxes:
 * the library nodes that only compute its conditions).
 */
export function indexDrawing(drawing, folds = []) {
  const clusters = new Map();
  drawing.clusters.forEach((c) => clusters.set(c.key, c));
  const foldOf = new Map(); // member cluster key -> fold
  const foldByKey = new Map();
  const boxFold = new Map(); // box id -> the fold that takes it besides its members
  for (const f of folds) {
    foldByKey.set(f.key, f);
    for (const m of f.members) foldOf.set(m, f);
    for (const b of f.boxes || []) boxFold.set(b, f);
  }
  const nodeById = new Map(drawing.nodes.map((n) => [n.id, n]));
  // Modules holding exactly one box and no cluster: depth leaves them open (closing saves nothing).
  const boxes = new Map();
  for (const n of drawing.nodes) boxes.set(n.cluster, (boxes.get(n.cluster) || 0) + 1);
  const parents = new Set(drawing.clusters.map((c) => c.parent));
  const singleBox = new Set(
    drawing.clusters.filter((c) => c.kind === "module" && boxes.get(c.key) === 1 && !parents.has(c.key)).map((c) => c.key),
  );
  return { drawing, clusters, foldOf, foldByKey, boxFold, nodeById, singleBox };
}

/** Normalise a widget state: depth (null = all), expanded and collapsed key sets. */
export function normaliseState(state = {}) {
  return {
    depth: state.depth === undefined ? null : state.depth,
    expanded: new Set(state.expanded || []),
    collapsed: new Set(state.collapsed || []),
  };
}

/** Is this cluster drawn as one box by its own rule (not counting its ancestors)? */
function closesItself(c, state, index) {
  if (c.kind === "module") {
    const deep = state.depth !== null && c.module_depth > state.depth && !index.singleBox.has(c.key);
    return state.collapsed.has(c.key) || (deep && !state.expanded.has(c.key));
  }
  return CONTROL_FLOW_KINDS.has(c.kind) && state.collapsed.has(c.key);
}

/**
 * For every cluster key: the key of the outermost box that swallows it (a closed cluster or
 * a closed fold), or null when the cluster is drawn open. Memoised per call.
 */
function closerResolver(index, state, useFolds) {
  const cache = new Map();
  const resolve = (key) => {
    if (!key) return null;
    if (cache.has(key)) return cache.get(key);
    const c = index.clusters.get(key);
    let found = resolve(c.parent); // an outer box wins
    if (found === null) {
      const fold = useFolds ? index.foldOf.get(key) : undefined;
      if (fold && !state.expanded.has(fold.key)) found = fold.key;
      else if (closesItself(c, state, index)) found = key;
    }
    cache.set(key, found);
    return found;
  };
  return resolve;
}

/** Representatives: box id -> the id drawn for it (itself, or its closed box's key). */
export function representatives(index, state, { folds = true } = {}) {
  const resolve = closerResolver(index, state, folds);
  const rep = new Map();
  for (const n of index.drawing.nodes) {
    let found = resolve(n.cluster);
    const fold = folds && found === null ? index.boxFold.get(n.id) : undefined;
    if (fold && !state.expanded.has(fold.key)) found = fold.key;
    rep.set(n.id, found ?? n.id);
  }
  return { rep, resolve };
}

/** How many boxes a state draws (boxes drawn as themselves plus one per closed box). */
export function countDrawn(index, state, options = {}) {
  const { rep } = representatives(index, normaliseState(state), options);
  return countBoxes(index, rep);
}
