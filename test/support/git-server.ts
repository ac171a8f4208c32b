import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * A real git smart-HTTP server for tests: git's own `git http-backend` run as a CGI
 * program behind a small Node HTTP server on a free loopback port, over bare
 * repositories in a temp folder. Public repositories are served to anyone; private ones
 * need basic auth with the server's username and password (as GitHub's personal access
 * tokens do). Paths are `/ACCOUNT/REPO.git`, so `ACCOUNT/REPO` resolves against the URL
 * the way a `github` context's `url` resolves against CAIRN_GITHUB_URL.
 */

const run = promisify(execFile);

export interface TestGitServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  username: string;
  password: string;
  /**
   * Creates a bare repository `/ACCOUNT/REPO.git` with one commit of these files
   * (path to content) on `branch`; returns the commit's full sha.
   */
  createRepo(name: string, files: Record<string, string>, options?: { private?: boolean; branch?: string; message?: string }): Promise<string>;
  /** Adds a commit with these files (changed or new) on a branch of an existing repository; returns its sha. */
  commit(name: string, files: Record<string, string>, options?: { branch?: string; message?: string }): Promise<string>;
  /** Requests answered with 401 (no or wrong credentials for a private repository). */
  refused: number;
  close(): Promise<void>;
}

const GIT_ENV = { GIT_AUTHOR_NAME: "Cairn Test", GIT_AUTHOR_EMAIL: "test@cairn.invalid", GIT_COMMITTER_NAME: "Cairn Test", GIT_COMMITTER_EMAIL: "test@cairn.invalid" };

export async function startGitServer(options: { username?: string; password?: string } = {}): Promise<TestGitServer> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-git-"));
  const root = join(dir, "repos");
  await mkdir(root);
  const username = options.username ?? "octo";
  const password = options.password ?? `pat-${Math.random().toString(36).slice(2)}`;
  const privateRepos = new Set<string>();
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const state = { refused: 0 };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const repo = /^\/([^/]+\/[^/]+\.git)(\/.*)?$/.exec(url.pathname)?.[1];
    if (repo && privateRepos.has(repo) && req.headers.authorization !== expected) {
      state.refused++;
      res.writeHead(401, { "www-authenticate": 'Basic realm="cairn-test-git"' }).end("authentication required\n");
      return;
    }
    serveCgi(req, res, root, url, req.headers.authorization ? username : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const work = (name: string) => join(dir, "work", name);
  const git = (cwd: string, ...args: string[]) => run("git", args, { cwd, env: { ...process.env, ...GIT_ENV } });
  const writeFiles = async (cwd: string, files: Record<string, string>) => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(cwd, path)), { recursive: true });
      await writeFile(join(cwd, path), content);
    }
  };

  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    get refused() {
      return state.refused;
    },
    async createRepo(name, files, opts = {}) {
      const branch = opts.branch ?? "main";
      const bare = join(root, `${name}.git`);
      await mkdir(bare, { recursive: true });
      await git(bare, "init", "--quiet", "--bare", `--initial-branch=${branch}`);
      if (opts.private) privateRepos.add(`${name}.git`);
      const cwd = work(name);
      await mkdir(cwd, { recursive: true });
      await git(cwd, "init", "--quiet", `--initial-branch=${branch}`);
      await git(cwd, "remote", "add", "origin", bare);
      await writeFiles(cwd, files);
      await git(cwd, "add", "-A");
      await git(cwd, "commit", "--quiet", "-m", opts.message ?? "initial");
      await git(cwd, "push", "--quiet", "origin", branch);
      return (await git(cwd, "rev-parse", "HEAD")).stdout.trim();
    },
    async commit(name, files, opts = {}) {
      const cwd = work(name);
      const branch = opts.branch ?? "main";
      await git(cwd, "checkout", "--quiet", "-B", branch);
      await writeFiles(cwd, files);
      await git(cwd, "add", "-A");
      await git(cwd, "commit", "--quiet", "-m", opts.message ?? "change");
      await git(cwd, "push", "--quiet", "origin", branch);
      return (await git(cwd, "rev-parse", "HEAD")).stdout.trim();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one request through `git http-backend` (RFC 3875 CGI): headers in, `Status:` and headers out. */
function serveCgi(req: IncomingMessage, res: ServerResponse, root: string, url: URL, remoteUser: string | undefined): void {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GATEWAY_INTERFACE: "CGI/1.1",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
    // git clients gzip large requests; http-backend inflates them when told.
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
    ...(remoteUser ? { REMOTE_USER: remoteUser } : {}),
  };
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "inherit"] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end === -1) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(end + 4));
  });
  child.on("close", () => {
    if (!headersSent) res.writeHead(500).end("git http-backend gave no answer\n");
    else res.end();
  });
}
