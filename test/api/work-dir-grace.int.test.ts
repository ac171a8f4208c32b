import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../packages/cairn/src/api/start-server.js";
import { loadConfig } from "../../packages/cairn/src/config.js";
import { ADMIN_PASSWORD, ApiClient, waitForRun } from "../support/api-server.js";

/**
 * CAIRN_WORK_DIR_GRACE on a real server: an ended run's working folder stays for the
 * grace period, and a server stopped before it passed deletes the folder when it starts
 * again. Host-runtime tasks only, so no container engine is needed.
 */

const W = "/v3/workflows";
const GRACE_MS = 1500;

describe("the working-folder grace period", () => {
  let dataDir: string | undefined;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps an ended run's folder for the grace period, and deletes it at the next start once it passed", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cairn-grace-"));
    const config = loadConfig({ dataDir, host: "127.0.0.1", port: 0, allowHostRuntime: true, adminPassword: ADMIN_PASSWORD, workDirGraceMs: GRACE_MS }, {});
    const present = (path: string) => stat(path).then(() => true, () => false);

    server = await startServer(config);
    const anon = new ApiClient(server.url);
    const login = await anon.post("/v3/oauth2/tokens", { username: "admin", password: ADMIN_PASSWORD, grant_type: "password" });
    const admin = anon.as(login.body.result.access_token.access_token);
    expect((await admin.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
    const pipeline = {
      id: "p",
      execution_profile: { runtime: "host" },
      tasks: [{ id: "t", type: "function", runtime: "bash", code: Buffer.from('echo kept > "$CAIRN_OUTBOX_DIR/r.txt"').toString("base64") }],
    };
    expect((await admin.post(`${W}/groups/lab/pipelines`, pipeline)).status).toBe(201);
    const started = await admin.post(`${W}/groups/lab/pipelines/p/events`, {});
    const run = await waitForRun(admin, `${W}/groups/lab/pipelines/p/runs/${started.body.result.uuid}`);
    expect(run.status).toBe("succeeded");
    const folder = join(dataDir, "runs", run.uuid);
    await new Promise((r) => setTimeout(r, 200));
    expect(await present(folder)).toBe(true);

    await server.close();
    server = undefined;
    const endedAt = Date.parse(run.ended_at);
    await new Promise((r) => setTimeout(r, Math.max(0, endedAt + GRACE_MS + 100 - Date.now())));
    expect(await present(folder)).toBe(true); // nothing ran to delete it

    server = await startServer(config);
    expect(await present(folder)).toBe(false);
    expect(await present(join(dataDir, "results", run.uuid, "t", "1", "r.txt"))).toBe(true);
  }, 30_000);
});
