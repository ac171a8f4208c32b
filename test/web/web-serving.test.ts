import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * `cairn server` serves the web UI's built files at `/` (api/web-ui.ts): hashed assets
 * cached for long, index.html never without a check, pages of the app answered with
 * index.html, and the API's paths still answering their JSON 404.
 */

const INDEX = '<!doctype html><html lang="en"><head><title>Cairn</title><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe("the web UI's files", () => {
  let s: InProcessServer;
  let webDir: string;

  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), "cairn-web-dist-"));
    await mkdir(join(webDir, "assets"));
    await writeFile(join(webDir, "index.html"), INDEX);
    await writeFile(join(webDir, "assets", "index-abc123.js"), "console.log('ui')");
    await writeFile(join(webDir, "assets", "index-abc123.css"), "body{margin:0}");
    s = await startInProcessServer({ overrides: { webDir } });
  });
  afterAll(async () => {
    await s?.close();
    await rm(webDir, { recursive: true, force: true });
  });

  it("answers / with index.html, which a browser must check again each time", async () => {
    const answer = await s.inject({ method: "GET", url: "/" });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.headers["cache-control"]).toBe("no-cache");
    expect(answer.body).toBe(INDEX);
  });

  it("serves hashed assets with their type and a year-long immutable cache", async () => {
    const js = await s.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const css = await s.inject({ method: "GET", url: "/assets/index-abc123.css" });
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
  });

  it("lets the page run its own scripts and styles and nothing else (CSP)", async () => {
    const csp = String((await s.inject({ method: "GET", url: "/" })).headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("answers a deep link of the app that a browser opens with index.html", async () => {
    const answer = await s.inject({ method: "GET", url: "/groups/lab/pipelines/p/runs/r/tasks/t", headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe(INDEX);
    expect(answer.headers["cache-control"]).toBe("no-cache");
  });

  it("keeps the JSON 404 for API paths, unknown assets and requests that do not ask for a page", async () => {
    for (const [url, accept] of [
      ["/v3/workflows/nothing-here", "text/html"],
      ["/pipeline/nothing/here", "text/html"],
      ["/assets/missing-123.js", "*/*"],
      ["/groups/lab", "application/json"],
    ] as const) {
      const answer = await s.inject({ method: "GET", url, headers: { accept } });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.json(), url).toMatchObject({ status: 404, result: { code: "not_found" } });
    }
  });

  it("does not serve files outside its folder", async () => {
    for (const url of ["/../package.json", "/assets/../../index.html", "/%2e%2e/package.json"]) {
      const answer = await s.inject({ method: "GET", url, headers: { accept: "*/*" } });
      expect(answer.body, url).not.toContain('"name"');
    }
  });
});

describe("a server whose web UI is not built", () => {
  let s: InProcessServer;

  beforeAll(async () => {
    s = await startInProcessServer({ overrides: { webDir: join(tmpdir(), "cairn-no-such-web-dist") } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("answers / with a short page saying to run npm run build", async () => {
    const answer = await s.inject({ method: "GET", url: "/" });
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.body).toContain("npm run build");
  });
});
