import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The web UI's built files (packages/web/dist), answered from the API's not-found handler
 * so that no route of its own joins the API (the authorization matrix, the OpenAPI
 * document): a path the API has no route for is a file of the UI, or one of its pages.
 *
 * - Files under /assets/ have content hashes in their names: cached for a year, immutable.
 * - index.html (and any other unhashed file) is `no-cache`, so a new build is seen at once.
 * - Any other GET that accepts text/html is a page of the single-page app: index.html.
 * - Paths under the API's own first segments keep the JSON 404, as do non-HTML requests.
 *
 * Only files listed when the server starts are served: a request path is looked up in that
 * list, never joined onto the folder, so `..` cannot reach outside it.
 */

/** First path segments that belong to the API (Tapis, Kabuto, accounts, operations): never the UI's. */
const API_SEGMENTS = new Set(["v3", "login", "logout", "register", "openapi.json", "healthz", "readyz", "metrics", "pipeline", "image", "execution"]);

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
};

const HASHED_CACHE = "public, max-age=31536000, immutable";

/** Shown at `/` when the UI was not built: the API works, the pages do not exist yet. */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn</title></head>
<body><main><h1>Cairn's web UI is not built</h1>
<p>The API is running. To get the web UI, run <code>npm run build</code> in Cairn's folder and restart <code>cairn server</code>
(or point <code>CAIRN_WEB_DIR</code> at a built <code>packages/web/dist</code>).</p></main></body></html>
`;

export interface WebUi {
  /** Answers the request with a file or page of the UI, when it is one; false leaves it to the JSON 404. */
  answer(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

/** Lists the built files of `dir` once; a missing folder or index.html makes the "not built" page. */
export async function loadWebUi(dir: string): Promise<WebUi> {
  const files = await builtFiles(dir);
  const index = files.get("/index.html");
  return {
    async answer(request, reply) {
      if (request.method !== "GET" && request.method !== "HEAD") return false;
      const path = request.url.split("?")[0]!;
      const first = path.split("/")[1] ?? "";
      if (API_SEGMENTS.has(first)) return false;
      const file = files.get(path === "/" ? "/index.html" : path);
      if (file !== undefined) {
        await sendFile(reply, file, path.startsWith("/assets/") ? HASHED_CACHE : "no-cache");
        return true;
      }
      const isPage = path === "/" || (request.headers.accept ?? "").includes("text/html");
      if (!isPage) return false;
      if (index === undefined) {
        void reply.status(404).type(CONTENT_TYPES[".html"]!).header("cache-control", "no-cache").send(NOT_BUILT_PAGE);
        return true;
      }
      await sendFile(reply, index, "no-cache");
      return true;
    },
  };
}

async function sendFile(reply: FastifyReply, file: string, cacheControl: string): Promise<void> {
  const body = await readFile(file);
  void reply
    .status(200)
    .type(CONTENT_TYPES[extname(file)] ?? "application/octet-stream")
    .header("cache-control", cacheControl)
    .send(body);
}

/** URL path (`/assets/index-abc.js`) to file, for every file under dir; empty when dir does not exist. */
async function builtFiles(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return [];
    throw err;
  });
  const files = new Map<string, string>();
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath, e.name);
    files.set("/" + relative(dir, file).split(sep).join("/"), file);
  }
  return files;
}
