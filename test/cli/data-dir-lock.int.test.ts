import { spawn, type ChildProcess } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres.js";

/**
 * One process per SQLite data dir (issue 15): a second `cairn server`, `cairn run` or
 * `cairn resume` on the data dir of a running server is refused at start, saying why and
 * naming PostgreSQL; a server killed with SIGKILL leaves no stale lock behind.
 */

const CLI = fileURLToPath(new URL("../../packages/cairn/bin/cairn.js", import.meta.url));
const PIPELINE = fileURLToPath(new URL("../../examples/hello-pipeline.yaml", import.meta.url));

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function cairn(dataDir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Started {
  const env: NodeJS.ProcessEnv = { ...process.env, CAIRN_ADMIN_PASSWORD: "lock-test-password", CAIRN_PORT: "", CAIRN_DATA_KEY: "" };
  delete env.CAIRN_DATABASE_URL;
  Object.assign(env, extraEnv);
  delete env.CAIRN_DATA_DIR;
  const child = spawn(process.execPath, [CLI, "--data-dir", dataDir, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startedServer(dataDir: string, extraArgs: string[] = []): Promise<Started> {
  const server = cairn(dataDir, ["server", "--port", "0", ...extraArgs]);
  const deadline = Date.now() + 30_000;
  while (!/listening on/.test(server.output())) {
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`the server did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}

function expectRefusal(output: string, dataDir: string, holderPid: number): void {
  expect(output).toContain(`error: the data dir ${dataDir} is in use by another Cairn process`);
  expect(output).toMatch(new RegExp(`worker [^ :]+:${holderPid} started \\d{4}-`));
  expect(output).toContain("one process runs per data dir");
  expect(output).toContain("use PostgreSQL (--database-url / CAIRN_DATABASE_URL)");
}

describe("one process per SQLite data dir", () => {
  let dataDir: string;
  const servers: Started[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cairn-lock-cli-"));
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    await stopPodmanService(join(dataDir, "podman", "podman.sock"));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a second server, a local run and a resume while a server runs, and not after it is killed -9", async () => {
    const first = await startedServer(dataDir);
    servers.push(first);
    // The worker id HOST:PID:START is printed at start.
    expect(first.output()).toMatch(new RegExp(`\\(data in .*, SQLite, worker [^ :]+:${first.child.pid}:\\d+\\)`));

    const second = cairn(dataDir, ["server", "--port", "0"]);
    servers.push(second);
    expect(await second.exited, second.output()).toBe(1);
    expectRefusal(second.output(), dataDir, first.child.pid!);
    expect(second.output()).not.toMatch(/listening on/);

    const run = cairn(dataDir, ["run", PIPELINE]);
    expect(await run.exited, run.output()).toBe(1);
    expectRefusal(run.output(), dataDir, first.child.pid!);
    expect(run.output()).not.toMatch(/run [0-9a-f-]{36}/);

    const resume = cairn(dataDir, ["resume"]);
    expect(await resume.exited, resume.output()).toBe(1);
    expectRefusal(resume.output(), dataDir, first.child.pid!);

    // The first server is unaffected by the refusals.
    const url = /listening on (http:\/\/[^\s,]+)/.exec(first.output())![1]!;
    expect((await fetch(`${url}/openapi.json`)).status).toBe(200);

    first.child.kill("SIGKILL");
    await first.exited;
    const next = await startedServer(dataDir);
    servers.push(next);
    expect(next.output()).toMatch(new RegExp(`SQLite, worker [^ :]+:${next.child.pid}:\\d+\\)`));
    next.child.kill("SIGTERM");
    expect(await next.exited, next.output()).toBe(0);

    // Stopped cleanly, it leaves the data dir to the next process too.
    const after = cairn(dataDir, ["resume"]);
    expect(await after.exited, after.output()).toBe(0);
    expect(after.output()).toContain("no unfinished runs");
  }, 90_000);

  it("takes no lock with PostgreSQL: two servers share one data dir and one database", async () => {
    const postgres: PostgresServer = await startPostgres();
    const pgDataDir = await mkdtemp(join(tmpdir(), "cairn-lock-pg-"));
    try {
      const url = await createDatabase(postgres.url, "lock_test");
      const a = await startedServer(pgDataDir, ["--database-url", url]);
      servers.push(a);
      const b = await startedServer(pgDataDir, ["--database-url", url]);
      servers.push(b);
      expect(a.output()).toMatch(/PostgreSQL, worker /);
      expect(b.output()).toMatch(new RegExp(`PostgreSQL, worker [^ :]+:${b.child.pid}:\\d+\\)`));
      await expect(access(join(pgDataDir, "cairn.lock"))).rejects.toThrow();
      for (const server of [a, b]) {
        server.child.kill("SIGTERM");
        expect(await server.exited, server.output()).toBe(0);
      }
    } finally {
      await stopPodmanService(join(pgDataDir, "podman", "podman.sock"));
      await rm(pgDataDir, { recursive: true, force: true });
      await postgres.stop();
    }
  }, 120_000);
});
