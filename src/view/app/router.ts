// Hash routes of the view app (pure): `#/runs?sel=a,b`, `#/curves?runs=a,b`,
// `#/search/<id>`, `#/run/<id>`; anything else is "not found". The selection
// lives in the hash so a reload or a shared link keeps it.

export type Route =
  | { page: "runs"; selected: string[]; filter: string }
  | { page: "curves"; runs: string[] }
  | { page: "search"; id: string }
  | { page: "run"; id: string }
  | { page: "not-found"; hash: string };

/** Reads a location hash (`#/run/abc`, with or without the `#`) into a route. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, "");
  if (text === "" || text === "/") return { page: "runs", selected: [], filter: "" };
  const q = text.indexOf("?");
  const path = q < 0 ? text : text.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : text.slice(q + 1));
  const parts = path
    .split("/")
    .filter((p) => p !== "")
    .map(decodeSegment);
  if (parts.some((p) => p === null)) return { page: "not-found", hash: text };
  const [first, second, ...rest] = parts as string[];
  if (first === "runs" && second === undefined)
    return { page: "runs", selected: splitIds(params.get("sel")), filter: params.get("filter") ?? "" };
  if (first === "curves" && second === undefined) return { page: "curves", runs: splitIds(params.get("runs")) };
  if (first === "search" && second !== undefined && rest.length === 0) return { page: "search", id: second };
  if (first === "run" && second !== undefined && rest.length === 0) return { page: "run", id: second };
  return { page: "not-found", hash: text };
}

/** The hash for a route (the inverse of parseRoute). */
export function formatRoute(route: Route): string {
  switch (route.page) {
    case "runs": {
      const params = new URLSearchParams();
      if (route.selected.length > 0) params.set("sel", route.selected.join(","));
      if (route.filter !== "") params.set("filter", route.filter);
      const query = params.toString();
      return query === "" ? "#/runs" : `#/runs?${query}`;
    }
    case "curves":
      return `#/curves?runs=${route.runs.map(encodeURIComponent).join(",")}`;
    case "search":
      return `#/search/${encodeURIComponent(route.id)}`;
    case "run":
      return `#/run/${encodeURIComponent(route.id)}`;
    case "not-found":
      return `#${route.hash}`;
  }
}

function splitIds(value: string | null): string[] {
  if (value === null) return [];
  return [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
