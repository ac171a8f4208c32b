import { request as httpRequest } from "node:http";
import { openAsBlob } from "node:fs";
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnClient } from "../../packages/cairn/src/client/cairn-client.js";
import { createStore } from "../../packages/cairn/src/store/create-store.js";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { zipTexts } from "../support/zip-entries.js";

/**
 * Attachments and results through the API, on a real server with real Podman
 * containers (busybox): multipart events, /inbox read-only, /outbox kept as results
 * after the working folder is gone, the zips, unsafe names and the upload limit.
 */

const W = "/v3/workflows";
const LIMIT = 1024 * 1024;
const b64 = (text: string) => Buffer.from(text).toString("base64");

const containerPipeline = {
  id: "inbox",
  execution_profile: { max_exec_time: 60 },
  tasks: [
    {
      id: "first",
      type: "container_run",
      image: "localhost/busybox:test",
      command: [
        "sh",
        "-c",
        [
          "cat /inbox/data/input.txt",
          "ls /inbox | tr '\\n' ' '; echo",
          "if echo x > /inbox/new 2>/dev/null; then echo inbox-writable; else echo inbox-read-only; fi",
          "echo result > /outbox/result.txt",
          "mkdir /outbox/sub && echo nested > /outbox/sub/n.txt",
          "ln -s /etc/passwd /outbox/passwd-link && ln -s / /outbox/root-link",
          "echo small > /cairn/outputs/message",
        ].join("; "),
      ],
      output: { message: { type: "string" } },
    },
    {
      id: "second",
      type: "container_run",
      image: "localhost/busybox:test",
      depends_on: [{ id: "first" }],
      command: ["sh", "-c", "ls -R /inbox | tr '\\n' ' '; echo"],
    },
    {
      id: "host",
      type: "function",
      runtime: "bash",
      execution_profile: { runtime: "host" },
      code: b64('cat "$CAIRN_INBOX_DIR/data/input.txt"; echo from-host > "$CAIRN_OUTBOX_DIR/host.txt"'),
    },
  ],
};

/** A multipart body written by hand, so that file names reach the server byte for byte. */
function multipart(parts: { name: string; filename?: string; content: string | Buffer; type?: string }[]): { body: Buffer; contentType: string } {
  const boundary = `----cairn-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}`;
    const type = p.type ?? (p.filename === undefined ? "text/plain" : "application/octet-stream");
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: ${type}\r\n\r\n`), Buffer.from(p.content), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}


/** The run's end is recorded before its folder is handed on for deletion. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

describe("attachments and results", () => {
  let server: TestServer;
  let ada: ApiClient;
  const events = `${W}/groups/lab/pipelines/inbox/events`;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { maxUploadBytes: LIMIT } });
    ada = await newUser(new ApiClient(server.url), "ada");
    expect((await ada.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
    const created = await ada.post(`${W}/groups/lab/pipelines`, containerPipeline);
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function runCount(): Promise<number> {
    return (await ada.get(`${W}/groups/lab/pipelines/inbox/runs`)).body.result.length;
  }

  async function uploadsLeft(): Promise<string[]> {
    return readdir(join(server.dataDir, "uploads")).catch(() => []);
  }

  async function post(body: Buffer | Readable, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    // node:http rather than fetch: it sends a stream without Content-Length, chunked.
    return new Promise((resolve, reject) => {
      const url = new URL(server.url + events);
      const req = httpRequest(url, { method: "POST", headers: { "content-type": contentType, "x-tapis-token": ada.token!, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on("error", reject);
      if (Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  it("puts files in every task's /inbox (read-only) or one task's, and keeps what tasks write to /outbox", async () => {
    const form = multipart([
      { name: "params", content: JSON.stringify({ who: "ada" }) },
      { name: "attachments", filename: "data/input.txt", content: "attached for all\n" },
      { name: "task:first", filename: "only-first.txt", content: "just first\n" },
    ]);
    const started = await post(form.body, form.contentType);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.message).toMatch(/2 attachment\(s\)/);
    expect(started.body.result.params).toEqual({ who: "ada" });
    const runPath = `${W}/groups/lab/pipelines/inbox/runs/${started.body.result.uuid}`;
    const run = await waitForRun(ada, runPath);
    expect(run.status, run.message).toBe("succeeded");

    const executions = (await ada.get(`${runPath}/executions`)).body.result as any[];
    const log = async (task: string) => (await ada.get(`${runPath}/executions/${executions.find((e) => e.task_id === task).uuid}/logs`)).text;
    const first = await log("first");
    expect(first).toContain("attached for all");
    expect(first).toMatch(/data only-first\.txt/);
    expect(first).toContain("inbox-read-only");
    expect(await log("second")).not.toContain("only-first");
    expect(await log("second")).toContain("input.txt");
    expect(await log("host")).toContain("attached for all");

    // The working folder (attachments included) is gone, the results are not.
    const uuid = run.uuid as string;
    await until(async () => !(await exists(join(server.dataDir, "runs", uuid))), "the run's working folder is deleted");
    expect(await exists(join(server.dataDir, "results", uuid, "first", "1", "result.txt"))).toBe(true);
    expect(await exists(join(server.dataDir, "results", uuid, "second"))).toBe(false); // it wrote nothing
    expect(await uploadsLeft()).toEqual([]);

    const zip = await fetch(`${server.url}${runPath}/results`, { headers: { "x-tapis-token": ada.token! } });
    expect(zip.status).toBe(200);
    const entries = await zipTexts(Buffer.from(await zip.arrayBuffer()));
    expect(entries.get("first/outbox/result.txt")).toBe("result\n");
    expect(entries.get("first/outbox/sub/n.txt")).toBe("nested\n");
    expect(entries.get("first/output/message")).toBe("small\n");
    expect(entries.get("host/outbox/host.txt")).toBe("from-host\n");
    // Symbolic links are never followed into a zip.
    expect([...entries.keys()].filter((k) => k.includes("link"))).toEqual([]);

    const one = executions.find((e) => e.task_id === "first").uuid;
    const execZip = await fetch(`${server.url}${runPath}/executions/${one}/results`, { headers: { "x-tapis-token": ada.token! } });
    const execEntries = await zipTexts(Buffer.from(await execZip.arrayBuffer()));
    expect([...execEntries.keys()].sort()).toEqual(["outbox/result.txt", "outbox/sub/n.txt", "output/.stderr", "output/.stdout", "output/message"]);
  });

  it("keeps results until the run is deleted with its group", async () => {
    expect((await ada.post(`${W}/groups`, { id: "scratch" })).status).toBe(201);
    expect((await ada.post(`${W}/groups/scratch/pipelines`, containerPipeline)).status).toBe(201);
    const started = await ada.post(`${W}/groups/scratch/pipelines/inbox/events`, {});
    expect(started.status).toBe(201);
    const uuid = started.body.result.uuid as string;
    await waitForRun(ada, `${W}/groups/scratch/pipelines/inbox/runs/${uuid}`);
    expect(await exists(join(server.dataDir, "results", uuid, "first", "1", "result.txt"))).toBe(true);
    expect((await ada.delete(`${W}/groups/scratch`)).status).toBe(200);
    expect(await exists(join(server.dataDir, "results", uuid))).toBe(false);
  });

  it("refuses unsafe file names with 400 naming the part, and keeps nothing", async () => {
    const before = await runCount();
    const cases: [string, string, RegExp][] = [
      ["attachments", "../escape.txt", /'\.\.'/],
      ["attachments", "/etc/passwd", /absolute/],
      ["attachments", "a/../../b", /'\.\.'/],
      ["task:first", "nul\0name", /NUL/],
      ["task:nope", "x.txt", /no task 'nope'/],
    ];
    for (const [name, filename, reason] of cases) {
      const form = multipart([
        { name: "attachments", filename: "fine.txt", content: "ok" },
        { name, filename, content: "bad" },
      ]);
      const res = await post(form.body, form.contentType);
      expect(res.status, filename).toBe(400);
      expect(res.body.message).toContain(`part '${name}'`);
      expect(res.body.message).toMatch(reason);
    }
    const twice = multipart([
      { name: "attachments", filename: "same.txt", content: "1" },
      { name: "task:first", filename: "same.txt", content: "2" },
    ]);
    const res = await post(twice.body, twice.contentType);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/part 'task:first'.*twice/);
    const badField = multipart([{ name: "params", content: "{not json" }]);
    expect((await post(badField.body, badField.contentType)).body.message).toMatch(/part 'params'.*JSON/);
    expect(await runCount()).toBe(before);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("keeps nothing of an upload whose client goes away halfway", async () => {
    const before = await runCount();
    const form = multipart([{ name: "attachments", filename: "half.bin", content: Buffer.alloc(LIMIT / 2, 5) }]);
    const req = httpRequest(new URL(server.url + events), {
      method: "POST",
      headers: { "content-type": form.contentType, "content-length": String(form.body.length), "x-tapis-token": ada.token! },
    });
    req.on("error", () => undefined);
    req.write(form.body.subarray(0, form.body.length / 2));
    await until(async () => (await uploadsLeft()).length > 0, "the upload has started");
    req.destroy();
    await until(async () => (await uploadsLeft()).length === 0, "the partial upload is removed");
    expect(await runCount()).toBe(before);
  });

  it("answers 413 for uploads over CAIRN_MAX_UPLOAD_BYTES, declared or streamed, and keeps nothing", async () => {
    const before = await runCount();
    const big = Buffer.alloc(LIMIT + 1, 7);
    // Declared: refused before the body is read.
    const form = new FormData();
    form.append("attachments", new Blob([big]), "big.bin");
    const declared = await fetch(server.url + events, { method: "POST", body: form, headers: { "x-tapis-token": ada.token! } });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).message).toMatch(/CAIRN_MAX_UPLOAD_BYTES/);

    // The typed client, sending a file from disk much larger than the limit: it gets the 413, not a broken connection.
    const file = join(server.dataDir, "..", `big-${process.pid}.bin`);
    await writeFile(file, Buffer.alloc(64 * LIMIT, 3));
    try {
      const client = new CairnClient({ baseUrl: server.url, token: ada.token });
      const refused = client.startRun("lab", "inbox", { attachments: [{ name: "big.bin", content: await openAsBlob(file) }] });
      await expect(refused).rejects.toMatchObject({ status: 413, code: "too_large" });
    } finally {
      await rm(file, { force: true });
    }

    // Streamed without a length: refused when the count passes the limit, the partial file removed.
    const body = multipart([
      { name: "attachments", filename: "a.bin", content: Buffer.alloc(LIMIT / 2, 1) },
      { name: "task:first", filename: "b.bin", content: big },
    ]);
    const streamed = await post(Readable.from([body.body.subarray(0, 1000), body.body.subarray(1000)]), body.contentType);
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toMatch(/upload limit of 1048576 bytes/);
    expect(await runCount()).toBe(before);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("holds POST /image's multipart attachments to the same limit, declared or streamed, and starts no build", async () => {
    const big = Buffer.alloc(LIMIT + 1, 7);
    const form = new FormData();
    form.append("name", "toolarge");
    form.append("dockerfile", "FROM localhost/busybox:test\n");
    form.append("attachments", new Blob([big]), "big.bin");
    const declared = await fetch(`${server.url}/image`, { method: "POST", body: form, headers: { "x-tapis-token": ada.token! } });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).message).toMatch(/CAIRN_MAX_UPLOAD_BYTES/);

    const body = multipart([
      { name: "name", content: "toolarge" },
      { name: "dockerfile", content: "FROM localhost/busybox:test\n" },
      { name: "attachments", filename: "a.bin", content: Buffer.alloc(LIMIT / 2, 1) },
      { name: "attachments", filename: "b.bin", content: Buffer.alloc(LIMIT / 2 + 10, 2) },
    ]);
    const streamed = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest(new URL(`${server.url}/image`), { method: "POST", headers: { "content-type": body.contentType, "x-tapis-token": ada.token! } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on("error", reject);
      Readable.from([body.body.subarray(0, 1000), body.body.subarray(1000)]).pipe(req);
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toMatch(/the attachments are over the upload limit of 1048576 bytes/);
    // No build was recorded in ada's own space.
    const store = await createStore({ sqlitePath: join(server.dataDir, "cairn.db") });
    try {
      expect((await store.listRuns()).filter((r) => r.groupId === "~ada")).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
