/**
 * `npm run screenshots`: pictures of the web UI's main pages for the README and
 * docs/web-ui.md, taken in Debian's Chromium (playwright-core, nothing downloaded) from a
 * real `cairn server` on a fresh data directory, with the demo pipeline run on Podman.
 * Writes docs/screenshots/*.png. Needs `npm run build` first (the npm script does it).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { launchBrowser } from "../test/support/browser.js";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, "docs/screenshots");
const W = "/v3/workflows";
const PASSWORD = "screenshots-admin-password";

const dataDir = await mkdtemp(join(tmpdir(), "cairn-screenshots-"));
const server = spawn(process.execPath, [join(ROOT, "packages/cairn/bin/cairn.js"), "server", "--port", "0", "--data-dir", dataDir], {
  env: { ...process.env, CAIRN_ADMIN_PASSWORD: PASSWORD, CAIRN_LOG_LEVEL: "warn" },
  stdio: ["ignore", "pipe", "inherit"],
});
const stopped = new Promise((done) => server.once("exit", done));
try {
  const url = await new Promise<string>((found, failed) => {
    let out = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) found(match[1]!);
    });
    server.once("exit", (code) => failed(new Error(`cairn server exited (${code}) before it listened:\n${out}`)));
  });
  const token = (await call(url, "POST", "/v3/oauth2/tokens", undefined, { username: "admin", password: PASSWORD, grant_type: "password" })).access_token.access_token as string;
  const api = (method: string, path: string, body?: unknown) => call(url, method, path, token, body);
  await api("POST", `${W}/groups`, { id: "lab" });
  const hello = parse(await readFile(join(ROOT, "examples/hello-pipeline.yaml"), "utf8"));
  await api("POST", `${W}/groups/lab/pipelines`, hello);
  await api("POST", `${W}/groups/lab/pipelines`, {
    id: "nightly-check",
    tasks: [{ id: "check", type: "container_run", image: "localhost/busybox:test", command: ["sh", "-c", "echo checking inputs; echo 3 files found; echo 'ERROR: sample 2 has no header' >&2; exit 1"] }],
  });
  const run = await api("POST", `${W}/groups/lab/pipelines/${hello.id}/events`, { params: { greeting: "hello" } });
  const failed = await api("POST", `${W}/groups/lab/pipelines/nightly-check/events`, {});
  for (const [pipeline, uuid] of [[hello.id, run.uuid], ["nightly-check", failed.uuid]]) {
    for (let i = 0; ; i++) {
      const status = (await api("GET", `${W}/groups/lab/pipelines/${pipeline}/runs/${uuid}`)).status;
      if (["succeeded", "failed", "cancelled"].includes(status)) break;
      if (i > 600) throw new Error(`run ${uuid} did not end`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const executions = await api("GET", `${W}/groups/lab/pipelines/${hello.id}/runs/${run.uuid}/executions`);
  const digest = (executions as { image_digest: string | null }[]).find((e) => e.image_digest)?.image_digest;

  await mkdir(OUT, { recursive: true });
  const browser = await launchBrowser();
  try {
    const { page } = await browser.newPage(url);
    const shot = async (name: string, path: string, ready: () => Promise<unknown>) => {
      await page.goto(path);
      await ready();
      await page.waitForTimeout(600);
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
      console.log(`docs/screenshots/${name}.png`);
    };
    await shot("sign-in", "/", () => page.getByRole("heading", { name: "Sign in to Cairn" }).waitFor());
    await page.getByLabel("Login").fill("admin");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Groups" }).waitFor();
    await shot("group", "/groups/lab", () => page.getByRole("link", { name: hello.id }).waitFor());
    await shot("pipeline", `/groups/lab/pipelines/${hello.id}`, () => page.locator('.graph[data-layout="elk"] .react-flow__node').first().waitFor({ timeout: 60_000 }));
    await shot("pipeline-yaml", `/groups/lab/pipelines/${hello.id}?view=yaml`, () => page.locator(".hljs").waitFor());
    await shot("run", `/groups/lab/pipelines/${hello.id}/runs/${run.uuid}`, () => page.locator('.graph[data-layout="elk"] .react-flow__node').first().waitFor({ timeout: 60_000 }));
    await shot("task-log", `/groups/lab/pipelines/nightly-check/runs/${failed.uuid}/tasks/check#L3`, async () => {
      await page.locator('.log-state[data-state="ended"]').waitFor();
      await page.locator(".task-panel").scrollIntoViewIfNeeded();
      await page.locator(".log").scrollIntoViewIfNeeded();
    });
    await shot("images", "/groups/lab/images", () => page.locator("tbody tr").first().waitFor());
    if (digest) await shot("image", `/groups/lab/images/${digest}`, () => page.locator(".provenance").waitFor());
  } finally {
    await browser.close();
  }
} finally {
  server.kill("SIGTERM");
  await stopped;
  await rm(dataDir, { recursive: true, force: true });
}

async function call(base: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const answer = (await res.json()) as { result: unknown; message: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${answer.message}`);
  return answer.result;
}
