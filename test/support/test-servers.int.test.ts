import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type TestGitServer } from "./git-server.js";
import { startRegistry, type TestRegistry } from "./registry.js";

/** The test servers themselves: a git client and plain HTTP see what the image build tests rely on. */

const run = promisify(execFile);
let git: TestGitServer;
let registry: TestRegistry;
let scratch: string;

beforeAll(async () => {
  [git, registry, scratch] = await Promise.all([startGitServer(), startRegistry(), mkdtemp(join(tmpdir(), "cairn-servers-"))]);
});

afterAll(async () => {
  await Promise.all([git?.close(), registry?.close(), scratch && rm(scratch, { recursive: true, force: true })]);
});

const clone = (url: string, dest: string) =>
  run("git", ["clone", "--quiet", "--depth", "1", url, join(scratch, dest)], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });

describe("test git server", () => {
  it("serves a public repository to a plain clone", async () => {
    const sha = await git.createRepo("lab/public", { Dockerfile: "FROM localhost/busybox:test\n" });
    await clone(`${git.url}/lab/public.git`, "public");
    expect(await readFile(join(scratch, "public", "Dockerfile"), "utf8")).toContain("busybox");
    expect((await run("git", ["-C", join(scratch, "public"), "rev-parse", "HEAD"])).stdout.trim()).toBe(sha);
  });

  it("refuses a private repository without credentials and serves it with them", async () => {
    await git.createRepo("lab/private", { Dockerfile: "FROM localhost/busybox:test\n" }, { private: true });
    await expect(clone(`${git.url}/lab/private.git`, "refused")).rejects.toThrow(/Authentication failed|could not read Username|401/);
    const withAuth = git.url.replace("http://", `http://${git.username}:${git.password}@`);
    await clone(`${withAuth}/lab/private.git`, "private");
    expect(await readFile(join(scratch, "private", "Dockerfile"), "utf8")).toContain("busybox");
  });
});

describe("test registry", () => {
  it("asks for credentials, and accepts the right ones only", async () => {
    expect((await fetch(`http://${registry.host}/v2/`)).status).toBe(401);
    const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}` });
    expect((await fetch(`http://${registry.host}/v2/`, { headers: basic(registry.username, registry.password) })).status).toBe(200);
    expect((await fetch(`http://${registry.host}/v2/`, { headers: basic(registry.username, "wrong") })).status).toBe(401);
    expect(await registry.manifestDigest("lab/none", "v1")).toBeUndefined();
  });
});
