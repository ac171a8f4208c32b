import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/**
 * The web UI's built files, for the tests that load them: packages/web/dist, built again
 * when a file of packages/web is newer than its index.html (`npm test` builds first; a
 * test run on its own must not test a stale build).
 */

export const WEB_PACKAGE = resolve(import.meta.dirname, "../../packages/web");
export const WEB_DIST = join(WEB_PACKAGE, "dist");

export async function ensureWebBuild(): Promise<string> {
  const built = await stat(join(WEB_DIST, "index.html")).then((s) => s.mtimeMs, () => 0);
  if (built === 0 || (await newestSource()) > built) {
    await promisify(execFile)(process.execPath, [join(WEB_PACKAGE, "../../node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: WEB_PACKAGE, env: { ...process.env, NODE_ENV: "production" } }); // vitest sets NODE_ENV=test, which would build React's development version
  }
  return WEB_DIST;
}

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const dir of ["src", "public"]) {
    const entries = await readdir(join(WEB_PACKAGE, dir), { withFileTypes: true, recursive: true }).catch(() => []);
    for (const e of entries) if (e.isFile()) newest = Math.max(newest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  for (const file of ["index.html", "vite.config.ts", "package.json"]) newest = Math.max(newest, (await stat(join(WEB_PACKAGE, file))).mtimeMs);
  return newest;
}
