// The query page: runs SPARQL on /sparql and named queries on /queries/{name},
// renders the results. Every piece of data goes into the page with textContent
// or as an attribute value, never as HTML.
(function () {
  "use strict";

  const main = document.querySelector(".ui-home");
  const config = JSON.parse(main.dataset.config || "{}");
  const BASE = config.base || "https://w3id.org/zwgk/id/";
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  const MAX_ROWS = 2000;

  const editor = document.getElementById("query");
  const form = document.getElementById("query-form");
  const runButton = document.getElementById("run");
  const statusLine = document.getElementById("status");
  const results = document.getElementById("results");
  const errorBox = document.getElementById("error");
  const errorTitle = document.getElementById("error-title");
  const errorMessage = document.getElementById("error-message");
  const csvLink = document.getElementById("download-csv");
  const jsonLink = document.getElementById("download-json");

  // ------------------------------------------------------------ elements

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ------------------------------------------------------------ the current query

  // What the download links point to: the editor's text on /sparql, or a named query with its values.
  let current = { kind: "sparql", query: editor.value };

  function downloadHref(format) {
    if (current.kind === "named") {
      const params = new URLSearchParams(current.params);
      params.set("format", format);
      return "/queries/" + encodeURIComponent(current.name) + "?" + params.toString();
    }
    return "/sparql?" + new URLSearchParams({ query: current.query, format: format }).toString();
  }

  function updateDownloads() {
    csvLink.href = downloadHref("csv");
    jsonLink.href = downloadHref("json");
    const stem = current.kind === "named" ? current.name : "results";
    csvLink.setAttribute("download", stem + ".csv");
    jsonLink.setAttribute("download", stem + ".json");
  }

  editor.addEventListener("input", function () {
    current = { kind: "sparql", query: editor.value };
    updateDownloads();
  });

  // ------------------------------------------------------------ terms

  function prefixesOf(queryText) {
    const map = Object.assign({}, config.prefixes || {});
    const re = /PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>/gi;
    let m;
    while ((m = re.exec(queryText || "")) !== null) map[m[1] || ""] = m[2];
    return map;
  }

  function compact(iri, prefixes) {
    let best = null;
    for (const [prefix, ns] of Object.entries(prefixes)) {
      if (ns && iri.startsWith(ns) && iri.length > ns.length && (!best || ns.length > best[1].length)) {
        best = [prefix, ns];
      }
    }
    if (!best) return iri;
    const local = iri.slice(best[1].length);
    return best[0] + ":" + local;
  }

  // Text with line-break opportunities after / and #, so long IRIs wrap between their segments.
  function appendBreakable(node, text) {
    const parts = text.split(/(?<=[\/#])/);
    parts.forEach(function (part, i) {
      node.appendChild(document.createTextNode(part));
      if (i < parts.length - 1) node.appendChild(document.createElement("wbr"));
    });
  }

  function iriHref(iri) {
    if (iri.startsWith(BASE)) return "/id/" + iri.slice(BASE.length);
    // only web and mail addresses become links: a result IRI such as javascript:… is shown, never followed
    return /^(https?|mailto):/i.test(iri) ? iri : null;
  }

  function renderTerm(term, prefixes) {
    if (!term) return el("span", { class: "unbound" }, "");
    if (term.type === "uri") {
      const local = term.value.startsWith(BASE);
      const href = iriHref(term.value);
      const a = href === null ? el("span", { title: term.value, class: "iri" })
        : el("a", { href: href, title: term.value, class: local ? "iri local" : "iri external" });
      appendBreakable(a, compact(term.value, prefixes));
      if (!local && /^https?:/.test(term.value)) {
        a.setAttribute("rel", "noopener noreferrer");
        a.setAttribute("target", "_blank");
      }
      return a;
    }
    if (term.type === "bnode") return el("span", { class: "bnode" }, "_:" + term.value);
    if (term.type === "triple") {
      const span = el("span", { class: "triple" });
      span.append("<< ", renderTerm(term.value.subject, prefixes), " ", renderTerm(term.value.predicate, prefixes),
        " ", renderTerm(term.value.object, prefixes), " >>");
      return span;
    }
    // literal (and "typed-literal" from older servers)
    const lang = term["xml:lang"];
    const span = el("span", { class: "literal" });
    const value = el("span", { class: "value" }, term.value);
    if (lang) value.setAttribute("lang", lang);
    span.appendChild(value);
    if (lang) {
      span.appendChild(el("span", { class: "lang", title: "language tag" }, "@" + lang));
    } else if (term.datatype) {
      span.setAttribute("title", compact(term.datatype, prefixes));
      if (/#(integer|decimal|double|float|int|long)$/.test(term.datatype)) span.classList.add("number");
      else if (!term.datatype.endsWith("#string")) {
        span.appendChild(el("span", { class: "datatype" }, "^^" + compact(term.datatype, prefixes)));
      }
    }
    return span;
  }

  // ------------------------------------------------------------ results

  function showError(title, message) {
    errorTitle.textContent = title;
    errorMessage.textContent = message || "";
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.hidden = true;
    errorTitle.textContent = "";
    errorMessage.textContent = "";
  }

  function renderSolutions(data, prefixes, elapsed) {
    const vars = (data.head && data.head.vars) || [];
    const bindings = (data.results && data.results.bindings) || [];
    const table = el("table", { class: "results", id: "results-table" });
    const thead = el("thead");
    const headRow = el("tr");
    headRow.appendChild(el("th", { class: "rownum", scope: "col" }, "#"));
    for (const v of vars) headRow.appendChild(el("th", { scope: "col" }, "?" + v));
    thead.appendChild(headRow);
    table.appendChild(thead);
    const tbody = el("tbody");
    bindings.slice(0, MAX_ROWS).forEach(function (row, i) {
      const tr = el("tr");
      tr.appendChild(el("td", { class: "rownum" }, String(i + 1)));
      for (const v of vars) {
        const td = el("td", { "data-var": v });
        td.appendChild(renderTerm(row[v], prefixes));
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    results.appendChild(el("div", { class: "table-wrap" })).appendChild(table);
    let text = bindings.length + (bindings.length === 1 ? " row" : " rows") + " in " + elapsed + " ms";
    if (bindings.length > MAX_ROWS) text += "; showing the first " + MAX_ROWS + " (download for all)";
    statusLine.textContent = text;
  }

  async function run(url, options, prefixes) {
    hideError();
    clear(results);
    statusLine.textContent = "Running…";
    runButton.disabled = true;
    main.setAttribute("aria-busy", "true");
    const started = performance.now();
    try {
      const response = await fetch(url, options);
      const elapsed = Math.round(performance.now() - started);
      const type = response.headers.get("content-type") || "";
      const body = await response.text();
      if (!response.ok) {
        let title = response.status + " " + response.statusText;
        let message = body;
        try {
          const err = JSON.parse(body).error;
          if (err) {
            title = err.status + " " + err.title;
            message = err.message;
          }
        } catch (e) { /* not JSON: show the text */ }
        statusLine.textContent = "";
        showError(title, message);
        return;
      }
      if (type.includes("json")) {
        const data = JSON.parse(body);
        if (typeof data.boolean === "boolean") {
          results.appendChild(el("p", { class: "boolean" }, data.boolean ? "true" : "false"));
          statusLine.textContent = "ASK answered in " + elapsed + " ms";
        } else {
          renderSolutions(data, prefixes, elapsed);
        }
      } else {
        results.appendChild(el("pre", { class: "graph" }, body));
        statusLine.textContent = "Graph (" + type.split(";")[0] + ") in " + elapsed + " ms";
      }
    } catch (e) {
      statusLine.textContent = "";
      showError("The request failed", String(e && e.message ? e.message : e));
    } finally {
      runButton.disabled = false;
      main.removeAttribute("aria-busy");
    }
  }

  function runEditor() {
    const query = editor.value;
    current = { kind: "sparql", query: query };
    updateDownloads();
    const url = new URL(window.location.href);
    url.searchParams.set("query", query);
    window.history.replaceState(null, "", url.pathname + url.search);
    return run("/sparql", {
      method: "POST",
      headers: { Accept: ACCEPT },
      body: new URLSearchParams({ query: query }),
    }, prefixesOf(query));
  }

  function exampleText(name) {
    const article = document.getElementById("example-" + name);
    const pre = article && article.querySelector(".example-sparql");
    return pre ? pre.textContent : "";
  }

  function markActive(name) {
    for (const article of document.querySelectorAll("article.example")) {
      article.classList.toggle("active", article.dataset.name === name);
    }
  }

  function loadExample(name) {
    markActive(name);
    editor.value = exampleText(name);
    current = { kind: "sparql", query: editor.value };
    updateDownloads();
    editor.focus();
  }

  function runNamed(namedForm) {
    const name = namedForm.dataset.name;
    const params = {};
    for (const input of namedForm.querySelectorAll("input[type=text]")) params[input.name] = input.value;
    markActive(name);
    editor.value = exampleText(name);
    current = { kind: "named", name: name, params: params };
    updateDownloads();
    const qs = new URLSearchParams(params).toString();
    return run("/queries/" + encodeURIComponent(name) + (qs ? "?" + qs : ""),
      { headers: { Accept: ACCEPT } }, prefixesOf(editor.value)).then(function () {
      // on a narrow screen the examples are below the results: bring the answer into view
      (errorBox.hidden ? statusLine : errorBox).scrollIntoView({ block: "nearest" });
    });
  }

  // ------------------------------------------------------------ wiring

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    runEditor();
  });

  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runEditor();
    } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // Tab indents; Esc then Tab leaves the editor (keyboard users are not trapped).
      if (editor.dataset.escaped === "1") { editor.dataset.escaped = ""; return; }
      event.preventDefault();
      editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
      editor.dispatchEvent(new Event("input"));
    } else if (event.key === "Escape") {
      editor.dataset.escaped = "1";
    }
  });

  for (const button of document.querySelectorAll("button.load")) {
    button.addEventListener("click", function () { loadExample(button.dataset.name); });
  }
  for (const namedForm of document.querySelectorAll("form.named")) {
    namedForm.addEventListener("submit", function (event) {
      event.preventDefault();
      runNamed(namedForm);
    });
  }

  updateDownloads();
  if (new URLSearchParams(window.location.search).has("query")) {
    runEditor();  // a shared link runs its query
  } else {
    statusLine.textContent = "Run the query above, or pick a named query.";
  }
})();
