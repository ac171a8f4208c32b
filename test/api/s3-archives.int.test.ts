import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForArchives, waitForRun, type TestServer } from "../support/api-server.js";
import { startSwift, type TestSwift } from "../support/swift.js";

/**
 * S3 systems and archives through the API, against a real server and a real S3 endpoint
 * (OpenStack Swift with s3api, which verifies signatures, on private loopback ports).
 */

const W = "/v3/workflows";
const BUCKET = "lab-results";
const b64 = (text: string) => Buffer.from(text).toString("base64");
/** Over the store's 1 MiB limit for outputs: archived from the attempt's folder, as a stream. */
const BIG = 3 * 1024 * 1024;

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
        code: b64(`echo "hello"; echo "to stderr" >&2; printf "hello archive" > "$CAIRN_OUTPUTS_DIR/greeting"; head -c ${BIG} /dev/zero | tr '\\0' x > "$CAIRN_OUTPUTS_DIR/big"`),
      },
      { id: "fail", type: "function", runtime: "bash", depends_on: [{ id: "greet" }], code: b64("echo failing; exit 3") },
    ],
  };
}

async function files(root: string): Promise<Record<string, Buffer>> {
  const found: Record<string, Buffer> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) found[join(e.parentPath, e.name).slice(root.length + 1)] = await readFile(join(e.parentPath, e.name));
  }
  return found;
}

describe("S3 systems and archives", () => {
  let server: TestServer;
  let swift: TestSwift;
  let ada: ApiClient;
  let bob: ApiClient;
  let s3Identity: string;
  let wrongIdentity: string;

  beforeAll(async () => {
    [server, swift] = await Promise.all([startTestServer(), startSwift()]);
    await swift.createBucket(BUCKET);
    const anon = new ApiClient(server.url);
    [ada, bob] = await Promise.all([newUser(anon, "ada"), newUser(anon, "bob")]);
    expect((await ada.post(`${W}/groups`, { id: "lab", users: [{ username: "bob", is_admin: false }] })).status).toBe(201);
    const identity = await ada.post(`${W}/identities`, { type: "s3", name: "swift-keys", credentials: { access_key_id: swift.accessKeyId, secret_access_key: swift.secretAccessKey } });
    expect(identity.status).toBe(201);
    expect(identity.body.result).toMatchObject({ type: "s3", name: "swift-keys", host: null, owner: "ada" });
    expect(identity.text).not.toContain(swift.secretAccessKey);
    expect((await ada.get(`${W}/identities/${identity.body.result.uuid}`)).text).not.toContain(swift.secretAccessKey);
    s3Identity = identity.body.result.uuid;
    wrongIdentity = (await ada.post(`${W}/identities`, { type: "s3", name: "wrong", credentials: { access_key_id: swift.accessKeyId, secret_access_key: "not-the-secret" } })).body.result.uuid;
  });
  afterAll(async () => {
    await Promise.all([server?.close(), swift?.close()]);
  });

  const s3System = (overrides: Record<string, unknown> = {}) => ({ id: "bucket", type: "s3", endpoint: swift.endpoint, bucket: BUCKET, root_dir: "lab", identity_uuid: s3Identity, ...overrides });

  it("refuses bad s3 identities and systems with the field and the reason, and creates nothing", async () => {
    const noSecret = await ada.post(`${W}/identities`, { type: "s3", name: "x", credentials: { access_key_id: "k" } });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.result.issues[0].path).toBe("body.credentials.secret_access_key");

    const badEndpoint = await ada.post(`${W}/groups/lab/systems`, s3System({ endpoint: "ftp://host" }));
    expect(badEndpoint.status).toBe(400);
    expect(badEndpoint.body.result.issues[0].path).toBe("body.endpoint");
    expect((await ada.post(`${W}/groups/lab/systems`, s3System({ bucket: "No_Such" }))).body.result.issues[0].path).toBe("body.bucket");

    const ssh = await ada.post(`${W}/identities`, { type: "ssh", name: "k", credentials: { username: "ada", password: "pw" } });
    const wrongType = await ada.post(`${W}/groups/lab/systems`, s3System({ identity_uuid: ssh.body.result.uuid }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.result.issues).toEqual([{ path: "identity_uuid", message: `identity '${ssh.body.result.uuid}' is of type 'ssh'; an s3 system needs one of type 's3'` }]);

    // The write check runs at creation: a wrong secret or a missing bucket is told now.
    const wrongKey = await ada.post(`${W}/groups/lab/systems`, s3System({ identity_uuid: wrongIdentity }));
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.result.issues).toEqual([
      {
        path: "identity_uuid",
        message: `S3 system 'bucket' at ${swift.endpoint} refused access key '${swift.accessKeyId}' (SignatureDoesNotMatch): the secret access key does not match the access key id (The request signature we calculated does not match the signature you provided. Check your key and signing method.)`,
      },
    ]);
    const noBucket = await ada.post(`${W}/groups/lab/systems`, s3System({ bucket: "no-such-bucket" }));
    expect(noBucket.status).toBe(400);
    expect(noBucket.body.result.issues[0]).toMatchObject({ path: "bucket", message: expect.stringContaining(`S3 system 'bucket' at ${swift.endpoint} has no bucket 'no-such-bucket'`) });
    expect((await ada.get(`${W}/groups/lab/systems`)).body.result).toEqual([]);
    expect(await swift.objects(BUCKET)).toEqual({});
  });

  it("creates s3 systems (admins) with the caller's own identity, never showing the keys", async () => {
    expect((await bob.post(`${W}/groups/lab/systems`, s3System())).status).toBe(403);
    const created = await ada.post(`${W}/groups/lab/systems`, s3System());
    expect(created.status).toBe(201);
    expect(created.body.result).toMatchObject({ id: "bucket", type: "s3", endpoint: swift.endpoint, bucket: BUCKET, region: "us-east-1", root_dir: "lab", identity_uuid: s3Identity, host: null, owner: "ada" });
    expect(created.text).not.toContain(swift.secretAccessKey);
    expect((await bob.get(`${W}/groups/lab/systems/bucket`)).body.result.type).toBe("s3");
    // The probe object is gone again.
    expect(await swift.objects(BUCKET)).toEqual({});
  });

  it("creates S3 archives on an s3 system or with their own bucket, and refuses the wrong shapes", async () => {
    expect((await ada.post(`${W}/groups/lab/systems`, { id: "disk", type: "local", root_dir: "lab" })).status).toBe(201);
    const onLocal = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", system_id: "disk", archive_dir: "a" });
    expect(onLocal.status).toBe(400);
    expect(onLocal.body.result.issues).toEqual([{ path: "system_id", message: "system 'disk' is of type 'local'; an S3 archive needs an s3 system (or use type 'system')" }]);
    const both = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", system_id: "bucket", bucket: BUCKET, archive_dir: "a" });
    expect(both.status).toBe(400);
    expect(both.body.result.issues[0].path).toBe("body.bucket");
    const neither = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", archive_dir: "a" });
    expect(neither.status).toBe(400);
    expect(neither.body.result.issues.map((i: any) => i.path)).toEqual(["body.endpoint", "body.bucket", "body.identity_uuid"]);
    const twoKeys = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", endpoint: swift.endpoint, bucket: BUCKET, identity_uuid: s3Identity, credentials: { access_key: "a", access_secret: "b" } });
    expect(twoKeys.status).toBe(400);
    expect(twoKeys.body.result.issues[0].path).toBe("body.identity_uuid");
    const identitiesBefore = (await ada.get(`${W}/identities`)).body.result.length;
    const inlineWrong = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", endpoint: swift.endpoint, bucket: BUCKET, credentials: { access_key: swift.accessKeyId, access_secret: "wrong" } });
    expect(inlineWrong.status).toBe(400);
    expect(inlineWrong.body.result.issues[0].path).toBe("identity_uuid");
    // Refused keys are not kept.
    expect((await ada.get(`${W}/identities`)).body.result.length).toBe(identitiesBefore);
    const ownWrongKey = await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", endpoint: swift.endpoint, bucket: BUCKET, identity_uuid: wrongIdentity });
    expect(ownWrongKey.status).toBe(400);
    expect(ownWrongKey.body.result.issues[0]).toMatchObject({ path: "identity_uuid", message: expect.stringContaining(`S3 archive 'x' at ${swift.endpoint} refused access key`) });
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "x", type: "S3", system_id: "bucket", archive_dir: "../up" })).body.result.issues[0].path).toBe("archive_dir");
    expect((await ada.get(`${W}/groups/lab/archives`)).body.result).toEqual([]);

    const onSystem = await ada.post(`${W}/groups/lab/archives`, { id: "s3-archive", type: "S3", system_id: "bucket", archive_dir: "/workflows/archive/" });
    expect(onSystem.status).toBe(201);
    expect(onSystem.body.result).toMatchObject({ id: "s3-archive", type: "S3", system_id: "bucket", archive_dir: "/workflows/archive/", endpoint: null, bucket: null });
    // The Tapis shape: the archive holds its bucket; archive_dir may be left out.
    const own = await ada.post(`${W}/groups/lab/archives`, { id: "own-bucket", type: "S3", endpoint: swift.endpoint, bucket: BUCKET, region: "us-east-1", identity_uuid: s3Identity });
    expect(own.status).toBe(201);
    expect(own.body.result).toMatchObject({ id: "own-bucket", type: "S3", system_id: null, archive_dir: "", endpoint: swift.endpoint, bucket: BUCKET, region: "us-east-1", identity_uuid: s3Identity });
    // Keys given with the archive (Tapis' credentials) become an identity of the caller, deleted with the archive.
    const withKeys = await ada.post(`${W}/groups/lab/archives`, { id: "tapis-shape", type: "S3", endpoint: swift.endpoint, bucket: BUCKET, archive_dir: "t", credentials: { access_key: swift.accessKeyId, access_secret: swift.secretAccessKey } });
    expect(withKeys.status).toBe(201);
    expect(withKeys.text).not.toContain(swift.secretAccessKey);
    const kept = withKeys.body.result.identity_uuid;
    expect((await ada.get(`${W}/identities/${kept}`)).body.result).toMatchObject({ type: "s3", name: "archive lab/tapis-shape", owner: "ada" });
    expect((await ada.delete(`${W}/groups/lab/archives/tapis-shape`)).status).toBe(200);
    expect((await ada.get(`${W}/identities/${kept}`)).status).toBe(404);
    // A `system` archive may use an s3 system too.
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "as-system", type: "system", system_id: "bucket", archive_dir: "plain" })).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "local-archive", type: "system", system_id: "disk", archive_dir: "/workflows/archive/" })).status).toBe(201);
    expect((await ada.delete(`${W}/groups/lab/systems/bucket`)).status).toBe(409);
    expect(await swift.objects(BUCKET)).toEqual({});
  });

  it("archives a run's outputs and logs to S3 under exactly the keys of the local layout, without changing its result", async () => {
    expect((await ada.post(`${W}/groups/lab/pipelines`, pipeline("archived", ["local-archive", "s3-archive", "own-bucket"]))).status).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/archived/events`, {});
    const uuid = event.body.result.uuid;
    const runPath = `${W}/groups/lab/pipelines/archived/runs/${uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "failed" });
    const archives = await waitForArchives(bob, runPath);
    const localBase = join(server.config.localSystemsRoot, "lab/lab/workflows/archive", uuid);
    expect(archives).toEqual([
      { archive_id: "local-archive", status: "done", attempts: 1, message: "6 files written", location: `file://${localBase}`, updated_at: expect.any(String) },
      { archive_id: "own-bucket", status: "done", attempts: 1, message: "6 files written", location: `s3://${BUCKET}/${uuid}`, updated_at: expect.any(String) },
      { archive_id: "s3-archive", status: "done", attempts: 1, message: "6 files written", location: `s3://${BUCKET}/lab/workflows/archive/${uuid}`, updated_at: expect.any(String) },
    ]);
    const local = await files(localBase);
    expect(Object.keys(local).sort()).toEqual(["fail/output/.stderr", "fail/output/.stdout", "greet/output/.stderr", "greet/output/.stdout", "greet/output/big", "greet/output/greeting"]);
    expect(local["greet/output/big"]!.length).toBe(BIG);
    for (const prefix of [`lab/workflows/archive/${uuid}/`, `${uuid}/`]) {
      const stored = await swift.objects(BUCKET, prefix);
      expect(Object.keys(stored).sort(), prefix).toEqual(Object.keys(local).sort());
      for (const [key, content] of Object.entries(local)) expect(stored[key]!.equals(content), `${prefix}${key}`).toBe(true);
    }
    // Nothing but the runs' files: every probe object was deleted.
    expect(Object.keys(await swift.objects(BUCKET)).filter((k) => k.includes(".cairn-write-check"))).toEqual([]);
    expect((await ada.get(runPath)).body.result.status).toBe("failed");
  });

  it("records a rejected key as a failed archiving with the reason, tried once, and leaves the run succeeded", async () => {
    const accessKeyId = await swift.setUser("rotating", "first-secret");
    const identity = await ada.post(`${W}/identities`, { type: "s3", name: "rotating", credentials: { access_key_id: accessKeyId, secret_access_key: "first-secret" } });
    expect((await ada.post(`${W}/groups/lab/systems`, s3System({ id: "rotating", root_dir: "rotating", identity_uuid: identity.body.result.uuid }))).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "rotating-archive", type: "S3", system_id: "rotating", archive_dir: "runs" })).status).toBe(201);
    // The secret changes on the S3 side after the archive was made.
    await swift.setUser("rotating", "second-secret");
    // A new archive on the system is refused now, pointing at the system.
    const refused = await ada.post(`${W}/groups/lab/archives`, { id: "too-late", type: "S3", system_id: "rotating", archive_dir: "x" });
    expect(refused.status).toBe(400);
    expect(refused.body.result.issues[0]).toMatchObject({ path: "system_id", message: expect.stringContaining("(SignatureDoesNotMatch)") });
    const good = { ...pipeline("rotated", ["rotating-archive"]), tasks: [pipeline("x", []).tasks[0]] };
    expect((await ada.post(`${W}/groups/lab/pipelines`, good)).status).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/rotated/events`, {});
    const runPath = `${W}/groups/lab/pipelines/rotated/runs/${event.body.result.uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "succeeded" });
    expect(await waitForArchives(ada, runPath)).toEqual([
      {
        archive_id: "rotating-archive",
        status: "failed",
        attempts: 1,
        message: expect.stringMatching(new RegExp(`^S3 system 'rotating' at ${swift.endpoint.replace(/\./g, "\\.")} refused access key '${accessKeyId}' \\(SignatureDoesNotMatch\\): the secret access key does not match the access key id`)),
        location: null,
        updated_at: expect.any(String),
      },
    ]);
    expect((await ada.get(runPath)).body.result).toMatchObject({ status: "succeeded", message: null });
    expect(await swift.objects(BUCKET, "rotating/")).toEqual({});
  });

  it("fails the archiving at once when the system's identity was deleted", async () => {
    const identity = await ada.post(`${W}/identities`, { type: "s3", name: "short-lived", credentials: { access_key_id: swift.accessKeyId, secret_access_key: swift.secretAccessKey } });
    const uuid = identity.body.result.uuid;
    expect((await ada.post(`${W}/groups/lab/systems`, s3System({ id: "orphan", identity_uuid: uuid }))).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "orphan-archive", type: "S3", system_id: "orphan", archive_dir: "orphan" })).status).toBe(201);
    expect((await ada.delete(`${W}/identities/${uuid}`)).status).toBe(200);
    const good = { ...pipeline("orphaned", ["orphan-archive"]), tasks: [pipeline("x", []).tasks[0]] };
    expect((await ada.post(`${W}/groups/lab/pipelines`, good)).status).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/orphaned/events`, {});
    const runPath = `${W}/groups/lab/pipelines/orphaned/runs/${event.body.result.uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "succeeded" });
    expect(await waitForArchives(ada, runPath)).toEqual([
      expect.objectContaining({ status: "failed", attempts: 1, message: `system 'orphan' uses identity '${uuid}', which no longer exists or holds no S3 keys` }),
    ]);
  });
});
