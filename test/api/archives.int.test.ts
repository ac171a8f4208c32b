import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForArchives, waitForRun, type TestServer } from "../support/api-server.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

/**
 * Systems and archives through the API, against a real server, a real local system and
 * a real SFTP server (Debian's OpenSSH on a private loopback port, generated keys).
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

function pipeline(id: string, archives: string[]) {
  return {
    id,
    archives,
    execution_profile: { runtime: "host", max_exec_time: 60 },
    tasks: [
      {
        id: "greet",
        type: "function",
        runtime: "bash",
        output: { greeting: { type: "string" } },
        code: b64('echo "hello"; echo "to stderr" >&2; printf "hello archive" > "$CAIRN_OUTPUTS_DIR/greeting"'),
      },
      { id: "fail", type: "function", runtime: "bash", depends_on: [{ id: "greet" }], code: b64("echo failing; exit 3") },
    ],
  };
}

async function tree(path: string): Promise<string[]> {
  return (await readdir(path, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(path.length + 1)).sort();
}

describe("systems and archives", () => {
  let server: TestServer;
  let sshd: TestSshd;
  let sshRoot: string;
  let ada: ApiClient;
  let bob: ApiClient;
  let eve: ApiClient;
  let sshIdentity: string;

  beforeAll(async () => {
    [server, sshd] = await Promise.all([startTestServer(), startSshd()]);
    sshRoot = await mkdtemp(join(tmpdir(), "cairn-sftp-archive-"));
    const anon = new ApiClient(server.url);
    [ada, bob, eve] = await Promise.all([newUser(anon, "ada"), newUser(anon, "bob"), newUser(anon, "eve")]);
    expect((await ada.post(`${W}/groups`, { id: "lab", users: [{ username: "bob", is_admin: false }] })).status).toBe(201);
    const identity = await ada.post(`${W}/identities`, { type: "ssh", name: "archive-key", credentials: { username: sshd.username, private_key: sshd.privateKey } });
    expect(identity.status).toBe(201);
    expect(identity.text).not.toContain("PRIVATE KEY");
    sshIdentity = identity.body.result.uuid;
  });
  afterAll(async () => {
    await Promise.all([server?.close(), sshd?.close()]);
    if (sshRoot) await rm(sshRoot, { recursive: true, force: true });
  });

  it("lets admins create and delete systems, members read them, and hides them from others", async () => {
    const created = await ada.post(`${W}/groups/lab/systems`, { id: "disk", type: "local", root_dir: "lab" });
    expect(created.status).toBe(201);
    expect(created.body.result).toMatchObject({ id: "disk", type: "local", root_dir: "lab", host: null, owner: "ada" });
    expect((await ada.post(`${W}/groups/lab/systems`, { id: "disk", type: "local", root_dir: "lab" })).status).toBe(409);
    expect((await bob.post(`${W}/groups/lab/systems`, { id: "mine", type: "local", root_dir: "bob" })).status).toBe(403);
    expect((await bob.get(`${W}/groups/lab/systems`)).body.result.map((s: any) => s.id)).toEqual(["disk"]);
    expect((await bob.get(`${W}/groups/lab/systems/disk`)).status).toBe(200);
    expect((await eve.get(`${W}/groups/lab/systems`)).status).toBe(404);
    expect((await eve.get(`${W}/groups/lab/systems/disk`)).status).toBe(404);
    expect((await bob.delete(`${W}/groups/lab/systems/disk`)).status).toBe(403);
  });

  it("refuses local root_dirs outside CAIRN_LOCAL_SYSTEMS_ROOT", async () => {
    // Each group has its own folder under the root: another group's is outside too.
    for (const root_dir of ["../escape", "a/../../b", "/etc", `${server.config.localSystemsRoot}-sibling/x`, join(server.config.localSystemsRoot, "other-group")]) {
      const res = await ada.post(`${W}/groups/lab/systems`, { id: "bad", type: "local", root_dir });
      expect(res.status, root_dir).toBe(400);
      expect(res.body.result.issues[0].path, root_dir).toBe("root_dir");
    }
    const inside = await ada.post(`${W}/groups/lab/systems`, { id: "abs", type: "local", root_dir: join(server.config.localSystemsRoot, "lab", "abs") });
    expect(inside.status).toBe(201);
    expect((await ada.delete(`${W}/groups/lab/systems/abs`)).status).toBe(200);
  });

  it("creates ssh systems only with the caller's own ssh identity", async () => {
    const github = await ada.post(`${W}/identities`, { type: "github", name: "gh", credentials: { username: "ada", personal_access_token: "ghp_x" } });
    const system = (identity_uuid: string) => ({ id: "cluster", type: "ssh", host: sshd.host, port: sshd.port, root_dir: sshRoot, identity_uuid, host_key: sshd.hostKeySha256 });
    expect((await ada.post(`${W}/groups/lab/systems`, system(github.body.result.uuid))).status).toBe(400);
    await bob.post(`${W}/groups/lab/users`, { username: "bob", is_admin: true });
    const bobs = await bob.post(`${W}/identities`, { type: "ssh", name: "k", credentials: { username: "bob", password: "pw" } });
    expect((await ada.post(`${W}/groups/lab/systems`, system(bobs.body.result.uuid))).status).toBe(404);
    const created = await ada.post(`${W}/groups/lab/systems`, system(sshIdentity));
    expect(created.status).toBe(201);
    expect(created.body.result).toMatchObject({ type: "ssh", host: "127.0.0.1", port: sshd.port, root_dir: sshRoot, identity_uuid: sshIdentity, host_key: sshd.hostKeySha256 });
  });

  it("creates archives only where it can write, and keeps systems in use", async () => {
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "nowhere", type: "system", system_id: "nope", archive_dir: "a" })).status).toBe(400);
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "up", type: "system", system_id: "disk", archive_dir: "../a" })).status).toBe(400);
    // A file where the folder should be: the write check fails and nothing is created.
    await mkdir(join(server.config.localSystemsRoot, "lab/lab"), { recursive: true });
    await writeFile(join(server.config.localSystemsRoot, "lab/lab/blocked"), "");
    const blocked = await ada.post(`${W}/groups/lab/archives`, { id: "blocked", type: "system", system_id: "disk", archive_dir: "blocked/x" });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toMatch(/cannot write to archive_dir 'blocked\/x' on system 'disk'/);

    const local = await ada.post(`${W}/groups/lab/archives`, { id: "local-archive", type: "system", system_id: "disk", archive_dir: "/workflows/archive/" });
    expect(local.status).toBe(201);
    expect(local.body.result).toMatchObject({ id: "local-archive", type: "system", system_id: "disk", archive_dir: "/workflows/archive/" });
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "ssh-archive", type: "system", system_id: "cluster", archive_dir: "runs" })).status).toBe(201);
    expect((await bob.get(`${W}/groups/lab/archives`)).body.result.map((a: any) => a.id)).toEqual(["local-archive", "ssh-archive"]);
    expect((await eve.get(`${W}/groups/lab/archives/local-archive`)).status).toBe(404);
    expect((await ada.delete(`${W}/groups/lab/systems/disk`)).status).toBe(409);
  });

  it("refuses a pipeline that names an archive the group does not have", async () => {
    const res = await ada.post(`${W}/groups/lab/pipelines`, pipeline("typo", ["local-archive", "local-archiv"]));
    expect(res.status).toBe(400);
    expect(res.body.result.issues).toEqual([{ path: "archives[1]", message: "group 'lab' has no archive 'local-archiv'" }]);
  });

  it("archives every task's outputs and logs to a local and an SFTP system when the run ends, without changing its result", async () => {
    expect((await ada.post(`${W}/groups/lab/pipelines`, pipeline("archived", ["local-archive", "ssh-archive"]))).status).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/archived/events`, {});
    const uuid = event.body.result.uuid;
    const runPath = `${W}/groups/lab/pipelines/archived/runs/${uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "failed" });
    const archives = await waitForArchives(bob, runPath);
    const localBase = join(server.config.localSystemsRoot, "lab/lab/workflows/archive");
    expect(archives).toEqual([
      { archive_id: "local-archive", status: "done", attempts: 1, message: "5 files written", location: `file://${localBase}/${uuid}`, updated_at: expect.any(String) },
      { archive_id: "ssh-archive", status: "done", attempts: 1, message: "5 files written", location: `sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshRoot}/runs/${uuid}`, updated_at: expect.any(String) },
    ]);
    for (const base of [join(localBase, uuid), join(sshRoot, "runs", uuid)]) {
      expect(await tree(base)).toEqual(["fail/output/.stderr", "fail/output/.stdout", "greet/output/.stderr", "greet/output/.stdout", "greet/output/greeting"]);
      expect(await readFile(join(base, "greet/output/.stdout"), "utf8")).toBe("hello\n");
      expect(await readFile(join(base, "greet/output/.stderr"), "utf8")).toBe("to stderr\n");
      expect(await readFile(join(base, "greet/output/greeting"), "utf8")).toBe("hello archive");
      expect(await readFile(join(base, "fail/output/.stdout"), "utf8")).toBe("failing\n");
    }
    expect((await ada.get(runPath)).body.result.status).toBe("failed");
    expect((await eve.get(`${runPath}/archives`)).status).toBe(404);
  });

  it("records a refused key as a failed archiving with a clear message, and leaves the run succeeded", async () => {
    const revoked = await startSshd();
    try {
      const identity = await ada.post(`${W}/identities`, { type: "ssh", name: "soon-revoked", credentials: { username: revoked.username, private_key: revoked.privateKey } });
      expect((await ada.post(`${W}/groups/lab/systems`, { id: "revoked", type: "ssh", host: revoked.host, port: revoked.port, root_dir: sshRoot, identity_uuid: identity.body.result.uuid })).status).toBe(201);
      expect((await ada.post(`${W}/groups/lab/archives`, { id: "revoked-archive", type: "system", system_id: "revoked", archive_dir: "revoked" })).status).toBe(201);
      // The key is taken back after the archive was created.
      await writeFile(join(revoked.dir, "authorized_keys"), "");
      const good = { ...pipeline("revoked", ["revoked-archive"]), tasks: [pipeline("x", []).tasks[0]] };
      expect((await ada.post(`${W}/groups/lab/pipelines`, good)).status).toBe(201);
      const event = await ada.post(`${W}/groups/lab/pipelines/revoked/events`, {});
      const runPath = `${W}/groups/lab/pipelines/revoked/runs/${event.body.result.uuid}`;
      expect(await waitForRun(ada, runPath)).toMatchObject({ status: "succeeded" });
      expect(await waitForArchives(ada, runPath)).toEqual([
        expect.objectContaining({
          archive_id: "revoked-archive",
          status: "failed",
          attempts: 1,
          message: `SSH login as ${revoked.username}@127.0.0.1:${revoked.port} was refused: the identity's key was not accepted (All configured authentication methods failed)`,
          location: null,
        }),
      ]);
      expect((await ada.get(runPath)).body.result).toMatchObject({ status: "succeeded", message: null });
    } finally {
      await revoked.close();
    }
  });

  it("deletes archives (admins), leaving what they hold", async () => {
    expect((await eve.delete(`${W}/groups/lab/archives/revoked-archive`)).status).toBe(404);
    expect((await ada.delete(`${W}/groups/lab/archives/revoked-archive`)).status).toBe(200);
    expect((await ada.delete(`${W}/groups/lab/archives/revoked-archive`)).status).toBe(404);
    expect((await ada.delete(`${W}/groups/lab/systems/revoked`)).status).toBe(200);
  });
});
