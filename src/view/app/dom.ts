// Small DOM helpers for the view app. Every piece of text goes in through
// `textContent` (never innerHTML), so anything a run provides — labels, flag
// values, output lines, file names — shows as text, whatever it contains.

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes (`class`, `href`, `data-*`...) and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  appendChildren(node, children);
  return node;
}

/** Appends nodes and text (as text nodes) to a parent. */
export function appendChildren(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces every child of a node. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.textContent = "";
  appendChildren(parent, children);
}

/** The "not found" message with a link back to the runs page. */
export function renderNotFound(root: HTMLElement, what: string): void {
  replaceChildren(
    root,
    el(
      "section",
      { class: "not-found" },
      el("h1", {}, "Not found"),
      el("p", {}, what),
      el("p", {}, el("a", { href: "#/runs" }, "← back to runs")),
    ),
  );
}

/** An inline error line (a failed request), kept short. */
export function renderError(root: HTMLElement, message: string): void {
  replaceChildren(
    root,
    el(
      "section",
      { class: "page-error" },
      el("p", { class: "error" }, message),
      el("p", {}, el("a", { href: "#/runs" }, "← back to runs")),
    ),
  );
}
