import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startGitServer, type TestGitServer } from "../../../../test/support/git-server.js";
import { parseEgressAllow } from "../net/egress-allow.js";
import { EgressPolicy } from "../net/egress-policy.js";
import { cloneRepository } from "./git-checkout.js";

/**
 * Clones through the egress policy against real servers on loopback: the smart-HTTP git
 * server of the other tests, and TCP servers that accept a connection and never answer.
 * Loopback is allowed here the way an operator would allow it (CAIRN_EGRESS_ALLOW).
 */

/** `pinned.cairn.test` exists only in the policy's own look-up: git can reach it only at the address the policy handed it. */
vi.mock("node:dns/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:dns/promises")>();
  const lookup = (async (host: string, options: unknown) =>
    host === "pinned.cairn.test" ? [{ address: "127.0.0.1", family: 4 }] : (real.lookup as (h: string, o: unknown) => Promise<unknown>)(host, options)) as typeof real.lookup;
  return { ...real, lookup, default: { ...real, lookup } };
});

let git: TestGitServer;
let work: string;
let n = 0;
const dir = () => join(work, `clone-${++n}`);

const policy = (allow: string, limits: { connectTimeoutMs?: number; fetchTimeoutMs?: number } = {}) =>
  new EgressPolicy({ allow: parseEgressAllow(allow), connectTimeoutMs: limits.connectTimeoutMs ?? 10_000, fetchTimeoutMs: limits.fetchTimeoutMs ?? 60_000 });

/** A server that takes connections and never sends a byte: what a clone of it waits on forever without limits. */
async function silentServer(): Promise<{ port: number; connections: number; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connected!: () => void;
  const state = { connections: 0, connected: new Promise<void>((resolve) => (connected = resolve)) };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    connected: state.connected,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** git processes (and their helpers) whose command line names this port. */
function gitProcessesFor(port: number): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((line) => line.includes(`127.0.0.1:${port}`) && /\bgit\b/.test(line) && !/^\s*\d+\s+Z/.test(line));
}

beforeAll(async () => {
  git = await startGitServer();
  await git.createRepo("lab/hello", { Dockerfile: "FROM scratch\n" });
  work = await mkdtemp(join(tmpdir(), "cairn-git-checkout-"));
});

afterAll(async () => {
  await git.close();
  await rm(work, { recursive: true, force: true });
});

afterEach(() => vi.useRealTimers());

describe("cloneRepository through the egress policy", () => {
  it("clones from a host CAIRN_EGRESS_ALLOW lists", async () => {
    const checkout = await cloneRepository(`${git.url}/lab/hello.git`, dir(), { egress: policy(new URL(git.url).host) });
    expect(checkout).toMatchObject({ branch: "main", commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
  });

  it("holds git to the address the policy checked (no second look-up of the name)", async () => {
    const url = `${git.url.replace("127.0.0.1", "pinned.cairn.test")}/lab/hello.git`;
    const checkout = await cloneRepository(url, dir(), { egress: policy("127.0.0.1/32") });
    expect(checkout.branch).toBe("main");
  });

  it.each([
    ["a loopback address", (url: string) => url, /127\.0\.0\.1 is a loopback address/],
    ["a decimal spelling of it", (url: string) => url.replace("127.0.0.1", "2130706433"), /127\.0\.0\.1 is a loopback address/],
    ["localhost", (url: string) => url.replace("127.0.0.1", "localhost"), /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ["the metadata address over git://", () => "git://169.254.169.254/x.git", /169\.254\.169\.254 is a cloud metadata address/],
    ["a git:// URL in hex", (url: string) => `git://0x7f000001:${new URL(url).port}/lab/hello.git`, /127\.0\.0\.1 is a loopback address/],
  ])("refuses %s before git runs", async (_what, urlOf, reason) => {
    const url = urlOf(`${git.url}/lab/hello.git`);
    const failure = await cloneRepository(url, dir(), { egress: policy(""), field: "context.url" }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: "EgressRefused", retryable: false });
    expect((failure as Error).message).toMatch(new RegExp(`^clone of ${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(context\\.url\\) refused: `));
    expect((failure as Error).message).toMatch(reason);
    expect((failure as Error).message).toMatch(/an operator may allow it with CAIRN_EGRESS_ALLOW$/);
  });

  it.each([
    ["file://", () => `file://${work}`, /the file transport is not fetched/],
    ["ext::", () => "ext::sh -c touch% /tmp/cairn-pwned", /git's 'ext::' transports run commands on the server/],
    ["a local path", () => work, /a local path or an scp-style address is not fetched/],
    ["an scp-style address", () => "git@127.0.0.1:lab/hello.git", /a local path or an scp-style address is not fetched/],
  ])("refuses %s, even with everything allowed", async (_what, urlOf, reason) => {
    await expect(cloneRepository(urlOf(), dir(), { egress: EgressPolicy.unrestricted() })).rejects.toMatchObject({ name: "TaskFailure", retryable: false, message: expect.stringMatching(reason) });
  });

  it("gives up on a git:// server that never answers at the fetch timeout, and leaves no git process behind", async () => {
    const silent = await silentServer();
    try {
      const url = `git://127.0.0.1:${silent.port}/lab/hello.git`;
      const started = Date.now();
      const failure = await cloneRepository(url, dir(), { egress: policy(`127.0.0.1:${silent.port}`, { fetchTimeoutMs: 1500 }) }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(failure).toMatchObject({
        name: "TaskFailure",
        retryable: true,
        message: `could not clone ${url}: it took longer than 1.5 s, the most a server-side fetch may take (CAIRN_EGRESS_FETCH_TIMEOUT)`,
      });
      expect(silent.connections).toBeGreaterThan(0);
      await vi.waitFor(() => expect(gitProcessesFor(silent.port)).toEqual([]), { timeout: 3000 });
    } finally {
      await silent.close();
    }
  });

  it("gives up on an http server that accepts and never answers at the connect timeout", async () => {
    const silent = await silentServer();
    try {
      const url = `http://127.0.0.1:${silent.port}/lab/hello.git`;
      const started = Date.now();
      const failure = await cloneRepository(url, dir(), { egress: policy(`127.0.0.1:${silent.port}`, { connectTimeoutMs: 1000, fetchTimeoutMs: 60_000 }) }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(failure).toMatchObject({ name: "TaskFailure", message: expect.stringMatching(/^could not clone .*: .*(too slow|Operation timed out)/i) });
      await vi.waitFor(() => expect(gitProcessesFor(silent.port)).toEqual([]), { timeout: 3000 });
    } finally {
      await silent.close();
    }
  });

  it("kills git and its helpers when the task is cancelled", async () => {
    const silent = await silentServer();
    try {
      const controller = new AbortController();
      const url = `http://127.0.0.1:${silent.port}/lab/hello.git`;
      const running = cloneRepository(url, dir(), { egress: policy(`127.0.0.1:${silent.port}`), signal: controller.signal }).catch((e: unknown) => e);
      await silent.connected;
      expect(gitProcessesFor(silent.port)).not.toEqual([]);
      const reason = new Error("cancelled by the user");
      controller.abort(reason);
      expect(await running).toBe(reason);
      await vi.waitFor(() => expect(gitProcessesFor(silent.port)).toEqual([]), { timeout: 3000 });
    } finally {
      await silent.close();
    }
  });

  it("leaves no git process behind when the server's process is killed with SIGKILL", async () => {
    const silent = await silentServer();
    try {
      const checkoutUrl = new URL("./git-checkout.ts", import.meta.url).href;
      const policyUrl = new URL("../net/egress-policy.ts", import.meta.url).href;
      const allowUrl = new URL("../net/egress-allow.ts", import.meta.url).href;
      const script = `
        import { cloneRepository } from ${JSON.stringify(checkoutUrl)};
        import { EgressPolicy } from ${JSON.stringify(policyUrl)};
        import { parseEgressAllow } from ${JSON.stringify(allowUrl)};
        const egress = new EgressPolicy({ allow: parseEgressAllow("127.0.0.1:${silent.port}"), connectTimeoutMs: 600000, fetchTimeoutMs: 600000 });
        await cloneRepository("git://127.0.0.1:${silent.port}/lab/hello.git", ${JSON.stringify(dir())}, { egress });
      `;
      // tsx as a loader, not its CLI: the CLI runs the script in a child process, which would survive the SIGKILL.
      const tsx = new URL("../../../../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
      const server = spawn(process.execPath, ["--import", tsx, "--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "inherit"] });
      try {
        await silent.connected;
        expect(gitProcessesFor(silent.port)).not.toEqual([]);
      } finally {
        server.kill("SIGKILL");
      }
      await vi.waitFor(() => expect(gitProcessesFor(silent.port)).toEqual([]), { timeout: 5000 });
    } finally {
      await silent.close();
    }
  });
});
