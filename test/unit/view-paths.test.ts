import { describe, expect, it } from "vitest";
import { isLoopback } from "../../src/commands/view.js";
import { escapeHtml, inlineSafe, jsonForScript } from "../../src/view/html.js";
import { acceptsGzip, splitPath } from "../../src/view/server.js";

describe("g view's path and text handling", () => {
  it("splits a path into decoded segments", () => {
    expect(splitPath("/")).toEqual([]);
    expect(splitPath("/api/runs")).toEqual(["api", "runs"]);
    expect(splitPath("/api/runs/")).toEqual(["api", "runs"]);
    expect(splitPath("/api/run/x/source/my%20file.py")).toEqual(["api", "run", "x", "source", "my file.py"]);
    expect(splitPath("/api/run/x/source/%252e%252e")).toEqual(["api", "run", "x", "source", "%2e%2e"]);
  });

  it("refuses dot segments, encoded separators and bad encodings", () => {
    for (const p of [
      "/../etc/passwd",
      "/a/./b",
      "/%2e%2e/x",
      "/%2E%2e/x",
      "/a/%2e",
      "/a%2fb",
      "/a%5cb",
      "/a%00",
      "/a//b",
      "/%zz",
      "relative",
      "/a/..",
    ]) {
      expect(splitPath(p), p).toBeNull();
    }
  });

  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) expect(isLoopback(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.5", "example.org", "127.0.0.1.example.org"]) expect(isLoopback(h), h).toBe(false);
  });

  it("escapes text for HTML and for inlined script data", () => {
    expect(escapeHtml(`<img src=x onerror="alert(1)">&'`)).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;");
    const label = "</script><!-- \u2028";
    const json = jsonForScript({ label });
    expect(json).not.toMatch(/<\/script|<!--|\u2028/);
    expect(JSON.parse(json)).toEqual({ label });
    expect(inlineSafe('x = "</SCRIPT>"', "script")).toBe('x = "<\\/SCRIPT>"');
    expect(inlineSafe("a{} </style>", "style")).toBe("a{} <\\/style>");
  });
});

describe("g view's Accept-Encoding reading", () => {
  it("takes gzip when the client lists it with a weight above 0", () => {
    for (const h of ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1", "x-gzip", " GZIP ", ["deflate", "gzip"]])
      expect(acceptsGzip(h), String(h)).toBe(true);
  });

  it("does not when it is absent or weighted 0", () => {
    for (const h of [undefined, "", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.0, identity", "*", "gzipped"])
      expect(acceptsGzip(h), String(h)).toBe(false);
  });
});
