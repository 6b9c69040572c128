// Text made safe for HTML (pure): for the few pages the server writes itself
// (index, 404) and the exported report's inlined JSON, JS and CSS.

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON to put inside `<script type="application/json">`: every `<` becomes
 * `\u003c`, so no `</script` (or `<!--`) in a label or output line can end
 * the element early; JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Script or style text to inline: a literal `</script` / `</style` would close the element, `<\/` does not. */
export function inlineSafe(text: string, tag: "script" | "style"): string {
  return text.replace(tag === "script" ? /<\/(script)/gi : /<\/(style)/gi, "<\\/$1");
}
