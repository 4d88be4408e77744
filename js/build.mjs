// Build the browser side of toolkit.widgets into toolkit/widgets/static/.
//
//   cd js && npm ci && npm run build
//
// Outputs (committed, so installing the Python package never needs Node):
//   toolkit-widgets.js      the page-wide bundle: UI + the layout worker's source, which embeds
//                           Graphviz compiled to WebAssembly (no file or network fetch at run time)
//   loader.js               each widget's tiny front-end module
//   THIRD_PARTY_LICENSES.txt
//
// The first line of toolkit-widgets.js records a digest of the inputs (sources, lock file,
// this script); tests/test_widgets_bundle.py recomputes it, so a stale bundle fails CI.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "toolkit", "widgets", "static");
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

/** Digest of every build input, in a fixed order (mirrored by the Python test). */
export function sourcesDigest() {
  const files = [
    ...readdirSync(join(here, "src")).map((f) => join(here, "src", f)),
    join(here, "build.mjs"),
    join(here, "package.json"),
    join(here, "package-lock.json"),
  ]
    .map((f) => relative(here, f).split("\\").join("/"))
    .sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(f + "\0");
    hash.update(readFileSync(join(here, f), "utf8").replaceAll("\r\n", "\n") + "\0");
  }
  return hash.digest("hex");
}

function writeAtomically(path, text) {
  writeFileSync(path + ".tmp", text);
  renameSync(path + ".tmp", path);
}

const worker = await esbuild.build({
  entryPoints: [join(here, "src", "worker.js")],
  bundle: true,
  format: "iife",
  minify: true,
  write: false,
  target: ["es2020"],
  legalComments: "none",
});
const workerSource = worker.outputFiles[0].text;

const graphvizVersion = pkg.devDependencies["@hpcc-js/wasm-graphviz"];
const digest = sourcesDigest();
const main = await esbuild.build({
  entryPoints: [join(here, "src", "index.js")],
  bundle: true,
  format: "esm",
  minify: true,
  write: false,
  target: ["es2020"],
  legalComments: "none",
  loader: { ".css": "text" },
  define: {
    WORKER_SOURCE: JSON.stringify(workerSource),
    BUNDLE_VERSION: JSON.stringify(`${pkg.version}+${digest.slice(0, 12)}`),
  },
  banner: {
    js:
      `/* sources-sha256: ${digest} */\n` +
      `/* torchscript-toolkit widgets ${pkg.version}; bundles @hpcc-js/wasm-graphviz ${graphvizVersion} ` +
      `(Apache-2.0) with Graphviz (EPL-1.0): see THIRD_PARTY_LICENSES.txt */`,
  },
});
writeAtomically(join(out, "toolkit-widgets.js"), main.outputFiles[0].text);

const loader = await esbuild.build({
  entryPoints: [join(here, "src", "loader.js")],
  bundle: false,
  format: "esm",
  minify: true,
  write: false,
  target: ["es2020"],
});
writeAtomically(join(out, "loader.js"), loader.outputFiles[0].text);

const hpccLicense = readFileSync(join(here, "node_modules", "@hpcc-js", "wasm-graphviz", "LICENSE"), "utf8");
writeAtomically(
  join(out, "THIRD_PARTY_LICENSES.txt"),
  [
    "toolkit-widgets.js bundles the following third-party software.",
    "",
    `1. @hpcc-js/wasm-graphviz ${graphvizVersion} (https://github.com/hpcc-systems/hpcc-js-wasm),`,
    "   licensed under the Apache License 2.0, reproduced below.",
    "2. Graphviz, compiled to WebAssembly inside @hpcc-js/wasm-graphviz, licensed under the",
    "   Eclipse Public License 1.0 (https://graphviz.org/license/). Its source code is",
    "   available from https://gitlab.com/graphviz/graphviz.",
    "",
    "----------------------------------------------------------------------------------------",
    hpccLicense,
  ].join("\n"),
);

const sizes = ["toolkit-widgets.js", "loader.js"].map((f) => `${f} ${readFileSync(join(out, f)).length.toLocaleString()} B`);
console.log(`built ${sizes.join(", ")} (sources ${digest.slice(0, 12)})`);
