// The code pane: each module's TorchScript `.code` and the user's Python lines, linked both
// ways to the graph through the payload's `code.links` and `python.links`.

import { h, revealIn } from "./dom.js";

const KEYWORDS = new Set(
  "def return if else elif for while in not and or is None True False pass raise with as break continue lambda assert del global import from class try except finally yield".split(
    " ",
  ),
);
const TOKEN = /(#.*$)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_]\w*)|(\s+)|(.)/g;
const OPEN_ALL_SECTIONS = 8;

/** Light syntax colouring, built from text nodes only. */
export function highlightInto(el, text) {
  let m;
  TOKEN.lastIndex = 0;
  let plain = "";
  const flush = () => {
    if (plain) el.append(document.createTextNode(plain));
    plain = "";
  };
  while ((m = TOKEN.exec(text)) !== null) {
    const [token, comment, string, number, word] = m;
    let cls = "";
    if (comment) cls = "c";
    else if (string) cls = "s";
    else if (number) cls = "m";
    else if (word && KEYWORDS.has(word)) cls = "k";
    else if (word === "torch" || word === "ops") cls = "nb";
    if (cls) {
      flush();
      el.append(h("span", { class: `tst-tok-${cls}` }, token));
    } else {
      plain += token;
    }
    if (token === "") TOKEN.lastIndex += 1;
  }
  flush();
}

function reverse(links) {
  const out = new Map();
  for (const [id, [where, line]] of Object.entries(links || {})) {
    const key = `${where}:${line}`;
    if (!out.has(key)) out.set(key, []);
    out.get(key).push(id);
  }
  return out;
}

export class CodePane {
  /**
   * @param payload  the widget payload (code and python parts)
   * @param onLine   called with (node ids, description) when a line is clicked
   */
  constructor({ payload, onLine }) {
    this.payload = payload;
    this.onLine = onLine;
    this.codeLinks = payload.code.links || {};
    this.pyLinks = payload.python.links || {};
    this.codeNodes = reverse(this.codeLinks);
    this.pyNodes = reverse(this.pyLinks);
    this.sectionBodies = new Map(); // index -> body element (built on first need)
    this.sectionHeads = [];
    this.pyLines = new Map(); // "file:line" -> element

    this.tsBox = h("div", { class: "tst-code tst-code-ts" });
    this.pyBox = h("div", { class: "tst-code tst-code-py" });
    const sections = payload.code.sections;
    sections.forEach((section, i) => this._sectionHead(section, i, sections.length <= OPEN_ALL_SECTIONS || i === 0));
    if (!sections.length) this.tsBox.append(h("div", { class: "tst-empty" }, "no TorchScript code for this graph"));
    this._python();
    this.el = h(
      "div",
      { class: "tst-codepane" },
      h("div", { class: "tst-code-title" }, "TorchScript .code"),
      this.tsBox,
      h("div", { class: "tst-code-title" }, "Python source"),
      this.pyBox,
    );
  }

  _sectionHead(section, i, open) {
    const head = h("div", { class: "tst-section-head", dataset: { section: String(i) } }, section.title);
    head.addEventListener("click", () => this._toggle(i));
    this.sectionHeads.push(head);
    this.tsBox.append(head);
    if (open) this._body(i);
  }

  _body(i) {
    let body = this.sectionBodies.get(i);
    if (body) return body;
    const section = this.payload.code.sections[i];
    const marks = section.marks || {};
    body = h("div", { class: "tst-section-body", dataset: { section: String(i) } });
    section.lines.forEach((text, k) => {
      const line = k + 1;
      const linked = this.codeNodes.has(`${i}:${line}`);
      const cls = ["tst-line", linked ? "tst-has-nodes" : "", ...(marks[String(line)] || []).map((m) => `mark-${m}`)];
      const src = h("span", { class: "tst-src" });
      highlightInto(src, text);
      const row = h(
        "div",
        { class: cls.join(" ").trim(), dataset: { section: String(i), line: String(line) } },
        h("span", { class: "tst-ln" }, String(line)),
        src,
      );
      if (linked) row.addEventListener("click", () => this._clickCode(i, line));
      body.append(row);
    });
    this.sectionHeads[i].after(body);
    this.sectionHeads[i].classList.add("tst-open");
    this.sectionBodies.set(i, body);
    return body;
  }

  _toggle(i) {
    const body = this.sectionBodies.get(i);
    if (!body) {
      this._body(i);
      return;
    }
    body.hidden = !body.hidden;
    this.sectionHeads[i].classList.toggle("tst-open", !body.hidden);
  }

  _python() {
    const files = this.payload.python.files;
    if (!files.length) {
      this.pyBox.append(h("div", { class: "tst-empty" }, "no Python source lines were recorded for these nodes"));
      return;
    }
    files.forEach((file, f) => {
      this.pyBox.append(h("div", { class: "tst-section-head tst-open", title: file.path }, file.name));
      const body = h("div", { class: "tst-section-body" });
      file.hunks.forEach((hunk, k) => {
        if (k > 0) body.append(h("div", { class: "tst-gap" }, "⋯"));
        hunk.lines.forEach((text, j) => {
          const line = hunk.start + j;
          const key = `${f}:${line}`;
          const linked = this.pyNodes.has(key);
          const src = h("span", { class: "tst-src" });
          highlightInto(src, text);
          const row = h(
            "div",
            { class: `tst-line${linked ? " tst-has-nodes" : ""}`, dataset: { file: String(f), line: String(line) } },
            h("span", { class: "tst-ln" }, String(line)),
            src,
          );
          if (linked) row.addEventListener("click", () => this._clickPython(f, line));
          this.pyLines.set(key, row);
          body.append(row);
        });
      });
      this.pyBox.append(body);
    });
  }

  _clickCode(i, line) {
    const ids = this.codeNodes.get(`${i}:${line}`) || [];
    this._mark([this._codeRow(i, line)]);
    this.onLine?.(ids, `${this.payload.code.sections[i].title}, line ${line}`);
  }

  _clickPython(f, line) {
    const ids = this.pyNodes.get(`${f}:${line}`) || [];
    this._mark([this.pyLines.get(`${f}:${line}`)]);
    this.onLine?.(ids, `${this.payload.python.files[f].name}:${line}`);
  }

  _codeRow(i, line) {
    const body = this._body(i);
    body.hidden = false;
    this.sectionHeads[i].classList.add("tst-open");
    return body.children[line - 1] || null;
  }

  _mark(rows) {
    for (const row of this.el.querySelectorAll(".tst-line.tst-hl")) row.classList.remove("tst-hl");
    for (const row of rows) {
      if (!row) continue;
      row.classList.add("tst-hl");
      revealIn(row.closest(".tst-code"), row);
    }
  }

  /** Highlight the lines node `id` came from; returns what was found. */
  showNode(id) {
    const rows = [];
    const found = { code: null, python: null };
    const at = this.codeLinks[id];
    if (at) {
      const row = this._codeRow(at[0], at[1]);
      rows.push(row);
      found.code = { section: at[0], line: at[1] };
    }
    const py = this.pyLinks[id];
    if (py) {
      rows.push(this.pyLines.get(`${py[0]}:${py[1]}`));
      found.python = { file: py[0], line: py[1] };
    }
    this._mark(rows);
    return found;
  }

  clear() {
    this._mark([]);
  }
}

