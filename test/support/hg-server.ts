import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

/**
 * A real Mercurial server for tests: `hg serve` (Mercurial's own HTTP server) over one
 * repository in a temp folder, on a free loopback port, started and stopped by the test.
 */

const run = promisify(execFile);
/** No user or system hgrc: the tests' hg is the same wherever they run. */
const HG_ENV = { ...process.env, HGPLAIN: "1", HGRCPATH: "", HGUSER: "Cairn Test <test@cairn.invalid>" };

export interface TestHgServer {
  /** `http://127.0.0.1:PORT/`, the repository's clone URL. */
  url: string;
  /** Commits these files (path to content) and returns the new changeset's full hash. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHgServer(): Promise<TestHgServer> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-hg-"));
  const repo = join(dir, "repo");
  await run("hg", ["init", repo], { env: HG_ENV });
  const port = await freePort();
  let server: ChildProcess | undefined;
  const commit = async (files: Record<string, string>, message = "a commit") => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(repo, path)), { recursive: true });
      await writeFile(join(repo, path), content);
    }
    await run("hg", ["--cwd", repo, "commit", "--addremove", "--message", message], { env: HG_ENV });
    return (await run("hg", ["--cwd", repo, "log", "--rev", ".", "--template", "{node}"], { env: HG_ENV })).stdout.trim();
  };
  server = spawn("hg", ["serve", "--repository", repo, "--address", "127.0.0.1", "--port", String(port)], { env: HG_ENV, stdio: ["ignore", "ignore", "pipe"] });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await fetch(`${url}?cmd=capabilities`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`hg serve did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    commit,
    async close() {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server!.once("exit", resolve));
        server.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
