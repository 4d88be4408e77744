// Search: one regular expression over each node's kind, name and scope.

/** Compile the user's pattern; {regex} or {error} (an invalid pattern is not an exception). */
export function compileSearch(pattern) {
  if (!pattern) return { regex: null };
  try {
    return { regex: new RegExp(pattern, "i") };
  } catch (error) {
    return { error: `not a valid regular expression: ${error.message}` };
  }
}

/** The text a node is searched in: op, view kind, label, output names, scope. */
export function searchText(node, details) {
  const outs = details && details.outputs ? details.outputs.map((row) => row[0]).join(" ") : "";
  return [node.op, node.kind, node.label.join(" "), outs, node.scope, node.id].join("\n");
}

/** Ids of the nodes and cluster keys matching `regex`. */
export function findMatches(payload, regex) {
  const nodes = [];
  const clusters = [];
  if (!regex) return { nodes, clusters };
  for (const n of payload.drawing.nodes) {
    if (regex.test(searchText(n, payload.details[n.id]))) nodes.push(n.id);
  }
  for (const c of payload.drawing.clusters) {
    if (c.kind === "module" && regex.test(`${c.label}\n${c.key}`)) clusters.push(c.key);
  }
  return { nodes, clusters };
}
