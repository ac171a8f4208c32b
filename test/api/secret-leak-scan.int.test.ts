import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForArchives, waitForRun, type ApiResponse, type TestServer } from "../support/api-server.js";
import { zipBuffers } from "../support/zip-entries.js";

/**
 * Issue 21, finding 5: secrets are masked where they are shown and never where they are
 * used, and only the pipelines a group admin allows read them. A real server runs host
 * tasks that print a secret in several encodings, hand it on in an output, write it to
 * /outbox, and have their run archived; then every log line the process wrote, every API
 * answer, the results zips, the archive copies and every file under the data directory
 * are scanned for the secret, an identity's credential and their encoded forms. Sealed
 * (encrypted) copies are fine: they do not contain them.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Every API answer, as text, for the scan. */
const answers: string[] = [];

class RecordingClient extends ApiClient {
  override async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await super.request<T>(method, path, body, headers);
    answers.push(`${method} ${path} -> ${res.status}\n${res.text}`);
    return res;
  }
  override as(token: string | undefined): ApiClient {
    return new RecordingClient(this.baseUrl, token);
  }
}

/** The forms a leak would take: what the masker claims to catch. */
function leakForms(value: string): string[] {
  const hex = Buffer.from(value).toString("hex");
  const prefixed = b64(`user:${value}`); // "user:" is 5 bytes: from the 9th character on, only the value's bytes count
  return [
    value,
    hex,
    hex.toUpperCase(),
    hex.match(/../g)!.join(" "),
    b64(value),
    Buffer.from(value).toString("base64url"),
    prefixed.slice(8, -4),
    encodeURIComponent(value),
    [...value].reverse().join(""),
    [...value].join(" "),
  ];
}

/** The lines the task prints, the output it hands on and the files it leaves in /outbox. */
const LEAK_SCRIPT = `
set -e
echo "plain: $S"
echo "hex: $(printf '%s' "$S" | od -An -tx1 -v -w1000 | tr -d ' \\n')"
echo "spaced hex:$(printf '%s' "$S" | od -An -tx1 -v -w1000)"
echo "base64: $(printf '%s' "$S" | base64 -w0)"
echo "basic auth: $(printf 'user:%s' "$S" | base64 -w0)"
echo "reversed: $(printf '%s\\n' "$S" | rev)"
echo "spaced: $(printf '%s' "$S" | sed 's/./& /g')"
echo "url: $(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$S")"
echo "to stderr: $S" >&2
printf 'Bearer %s' "$S" > "$CAIRN_OUTPUTS_DIR/auth"
printf 'report for %s\\n' "$S" > "$CAIRN_OUTBOX_DIR/report.txt"
printf '%s' "$S" | xxd -p >> "$CAIRN_OUTBOX_DIR/report.txt"
printf '%s' "$S" | rev >> "$CAIRN_OUTBOX_DIR/report.txt"
mkdir -p "$CAIRN_OUTBOX_DIR/deep"
head -c 70000 /dev/urandom > "$CAIRN_OUTBOX_DIR/deep/noise.bin"
printf '%s' "$S" >> "$CAIRN_OUTBOX_DIR/deep/noise.bin"
head -c 70000 /dev/urandom >> "$CAIRN_OUTBOX_DIR/deep/noise.bin"
`;

/** Exits 0 only when the dependent got the output's real value, not "***". */
const USE_SCRIPT = `
if [ "$AUTH" = "Bearer $S" ]; then echo "the output arrived intact"; else echo "the output arrived changed: $AUTH"; exit 1; fi
`;

function leakyPipeline(id: string, archives: string[] = []) {
  return {
    id,
    archives,
    execution_profile: { runtime: "host", max_exec_time: 60 },
    tasks: [
      { id: "leak", type: "function", runtime: "bash", input: { S: { type: "string", value_from: { secret: "TOKEN" } } }, output: { auth: { type: "string" } }, code: b64(LEAK_SCRIPT) },
      {
        id: "use",
        type: "function",
        runtime: "bash",
        depends_on: [{ id: "leak" }],
        input: { S: { type: "string", value_from: { secret: "TOKEN" } }, AUTH: { type: "string", value_from: { task_output: { task_id: "leak", output_id: "auth" } } } },
        code: b64(USE_SCRIPT),
      },
    ],
  };
}


async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("secrets: masked where shown, real where used, read only where allowed", () => {
  const secret = `lk-${randomBytes(12).toString("hex")}@x`;
  const identityPassword = `idpw-${randomBytes(12).toString("base64url")}`;
  let server: TestServer;
  let ada: ApiClient;
  let bob: ApiClient;
  const zips: Buffer[] = [];
  const written: string[] = [];
  const writes: { stream: NodeJS.WriteStream; write: NodeJS.WriteStream["write"] }[] = [];

  beforeAll(async () => {
    // Everything the process logs while the test runs (server warnings, Fastify's log if any).
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as NodeJS.WriteStream["write"];
      writes.push({ stream, write });
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("latin1"));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as NodeJS.WriteStream["write"];
    }
    server = await startTestServer();
    const anon = new RecordingClient(server.url);
    [ada, bob] = await Promise.all([newUser(anon, "ada"), newUser(anon, "bob")]);
    expect((await ada.post(`${W}/groups`, { id: "lab", users: [{ username: "bob", is_admin: false }] })).status).toBe(201);
    expect((await ada.put(`${W}/groups/lab/secrets/TOKEN`, { value: secret })).status).toBe(200);
    const identity = await ada.post(`${W}/identities`, { type: "git", name: "forge", host: "git.example.org", credentials: { username: "ada", password: identityPassword } });
    expect(identity.status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/systems`, { id: "disk", type: "local", root_dir: "lab" })).status).toBe(201);
    expect((await ada.post(`${W}/groups/lab/archives`, { id: "copies", type: "system", system_id: "disk", archive_dir: "archive" })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const { stream, write } of writes) stream.write = write;
    await server?.close();
  });

  it("hands a dependent the output's real value, shows it masked, and masks the results zip and archive", async () => {
    expect((await ada.post(`${W}/groups/lab/pipelines`, leakyPipeline("leaky", ["copies"]))).status).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/leaky/events`, {});
    expect(event.status).toBe(201);
    const runPath = `${W}/groups/lab/pipelines/leaky/runs/${event.body.result.uuid}`;
    const run = await waitForRun(ada, runPath);
    const executions = (await ada.get(`${runPath}/executions`)).body.result;
    expect(run.status, JSON.stringify(executions)).toBe("succeeded");
    const leak = executions.find((e: any) => e.task_id === "leak");
    expect(leak.outputs).toEqual({ auth: "Bearer ***" });
    for (const e of executions) await ada.get(`${runPath}/executions/${e.uuid}/logs`);
    const logs = (await ada.get(`${runPath}/executions/${leak.uuid}/logs`)).text;
    expect(logs).toContain("plain: ***");
    expect(logs).toContain("reversed: ***");

    const zip = await fetch(`${server.url}${runPath}/results`, { headers: { "x-tapis-token": ada.token! } });
    expect(zip.status).toBe(200);
    zips.push(Buffer.from(await zip.arrayBuffer()));
    const entries = await zipBuffers(zips[0]!);
    expect(entries.get("leak/output/auth")?.toString()).toBe("Bearer ***");
    expect(entries.get("leak/outbox/report.txt")?.toString()).toBe("report for ***\n***\n***");
    expect(entries.get("leak/outbox/deep/noise.bin")?.length).toBeGreaterThan(140_000);
    const one = await fetch(`${server.url}${runPath}/executions/${leak.uuid}/results`, { headers: { "x-tapis-token": ada.token! } });
    zips.push(Buffer.from(await one.arrayBuffer()));

    expect((await waitForArchives(ada, runPath)).map((a) => a.status)).toEqual(["done"]);
  }, 120_000);

  it("lets a member's new pipeline read no secret until an admin allows it, and says which", async () => {
    expect((await bob.post(`${W}/groups/lab/pipelines`, leakyPipeline("bobs"))).status).toBe(201);
    const refused = await bob.post(`${W}/groups/lab/pipelines/bobs/events`, {});
    const refusedPath = `${W}/groups/lab/pipelines/bobs/runs/${refused.body.result.uuid}`;
    expect((await waitForRun(bob, refusedPath)).status).toBe("failed");
    const [first] = (await bob.get(`${refusedPath}/executions`)).body.result;
    expect(first.message).toContain("pipeline 'bobs' may not read secret 'TOKEN'");

    expect((await bob.patch(`${W}/groups/lab/secrets/TOKEN`, { allowed_pipelines: ["*", "bobs"] })).status).toBe(403);
    const unknown = await ada.patch(`${W}/groups/lab/secrets/TOKEN`, { allowed_pipelines: ["*", "nope"] });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("allowed_pipelines[1]");
    const allowed = await ada.patch(`${W}/groups/lab/secrets/TOKEN`, { allowed_pipelines: ["*", "bobs"] });
    expect(allowed.status).toBe(200);
    expect(allowed.body.result.allowed_pipelines).toEqual(["*", "bobs"]);
    expect((await bob.get(`${W}/groups/lab/secrets`)).body.result).toEqual([expect.objectContaining({ name: "TOKEN", allowed_pipelines: ["*", "bobs"] })]);

    const event = await bob.post(`${W}/groups/lab/pipelines/bobs/events`, {});
    const runPath = `${W}/groups/lab/pipelines/bobs/runs/${event.body.result.uuid}`;
    expect((await waitForRun(bob, runPath)).status).toBe("succeeded");

    // Without "*", the admin's own pipeline is refused too.
    expect((await ada.patch(`${W}/groups/lab/secrets/TOKEN`, { allowed_pipelines: ["bobs"] })).status).toBe(200);
    const adas = await ada.post(`${W}/groups/lab/pipelines/leaky/events`, {});
    expect((await waitForRun(ada, `${W}/groups/lab/pipelines/leaky/runs/${adas.body.result.uuid}`)).status).toBe("failed");
    await waitForArchives(ada, `${W}/groups/lab/pipelines/leaky/runs/${adas.body.result.uuid}`);
  }, 120_000);

  it("leaves no secret or identity credential, in any encoding, in logs, answers, zips, archives or the data directory", async () => {
    await server.server.archiver.idle();
    // The working folders (which hold a task's inputs as it saw them) go once archived (grace 0).
    for (let i = 0; i < 100 && (await readdir(join(server.dataDir, "runs")).catch(() => [])).length > 0; i++) await new Promise((r) => setTimeout(r, 100));

    const needles = [...leakForms(secret), ...leakForms(identityPassword)].map((n) => Buffer.from(n));
    const places: { where: string; bytes: Buffer }[] = [
      ...answers.map((text, i) => ({ where: `API answer ${i}: ${text.slice(0, 80)}`, bytes: Buffer.from(text) })),
      { where: "the process's stdout and stderr", bytes: Buffer.from(written.join(""), "latin1") },
    ];
    for (const [i, zip] of zips.entries()) {
      places.push({ where: `zip ${i} (as sent)`, bytes: zip });
      for (const [name, bytes] of await zipBuffers(zip)) places.push({ where: `zip ${i}: ${name}`, bytes });
    }
    const files = await filesUnder(server.dataDir);
    // The archive copies (a local system's folder is under the data directory) and the kept results are scanned too.
    expect(files.filter((f) => f.startsWith(server.config.localSystemsRoot) && f.endsWith(join("leak", "outbox", "report.txt")))).toHaveLength(1);
    expect(files.some((f) => f.startsWith(join(server.dataDir, "results")))).toBe(true);
    for (const file of files) places.push({ where: file, bytes: await readFile(file) });

    const leaks: string[] = [];
    for (const { where, bytes } of places) {
      for (const needle of needles) if (bytes.includes(needle)) leaks.push(`${where} holds ${needle.toString()}`);
    }
    expect(leaks).toEqual([]);
  }, 60_000);
});
