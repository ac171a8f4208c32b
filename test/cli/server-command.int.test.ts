import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";

/** `cairn server` as a user starts it: prints its URL and the first admin's password, stops on SIGTERM. */

const CLI = fileURLToPath(new URL("../../packages/cairn/bin/cairn.js", import.meta.url));

describe("cairn server", () => {
  let dataDir: string;
  let server: ChildProcess;
  let output = "";
  let exited: Promise<number | null>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cairn-server-cmd-"));
    const env = { ...process.env, CAIRN_ADMIN_PASSWORD: "", CAIRN_PORT: "", CAIRN_DATA_KEY: "" };
    server = spawn(process.execPath, [CLI, "--data-dir", dataDir, "server", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => server.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/created the first user/.test(output)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    if (server.exitCode === null) server.kill("SIGKILL");
    await stopPodmanService(join(dataDir, "podman", "podman.sock"));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints its URL and a generated admin password that logs in, keeps its key private, and stops on SIGTERM", async () => {
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    const password = /created the first user 'admin' with password (\S+)/.exec(output)?.[1];
    expect(url, output).toBeDefined();
    expect(password, output).toBeDefined();

    expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    const login = await fetch(`${url}/v3/oauth2/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password, grant_type: "password" }),
    });
    expect(login.status).toBe(201);
    // JSON log lines (CAIRN_LOG_LEVEL, default info), one per answered request under the id its answer carries; no credentials.
    const requestId = login.headers.get("x-request-id");
    const token = ((await login.json()) as { result: { access_token: { access_token: string } } }).result.access_token.access_token;
    await new Promise((r) => setTimeout(r, 200));
    const lines = output.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
    expect(lines.some((line) => line.reqId === requestId && line.msg === "request completed"), output).toBe(true);
    expect(output).not.toContain(token);
    expect(output.split(password!).length, "the password is printed once, in the line that reports it").toBe(2);
    expect(((await stat(join(dataDir, "secret.key"))).mode & 0o777).toString(8)).toBe("600");

    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped\n$/);
    await expect(fetch(`${url}/openapi.json`)).rejects.toThrow();
  });
});
