import { execFileSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/api-server.js";
import { zipTexts } from "../support/zip-entries.js";

/**
 * The Kabuto README's python flow (shared/reference/kabuto-api.txt), call by call with
 * fetch against a real server on Podman: register with the 6-character `SecreT`
 * (CAIRN_MIN_PASSWORD_LENGTH=6), confirm, log in by cookie, build an image from a
 * Dockerfile with an attachment, make a pipeline, add two jobs with attachments, submit,
 * watch the states, read the logs incrementally by id, and download a job's /outbox as a
 * zip. Form bodies and multipart uploads as `requests` sends them; the cookie only.
 */

const LOGIN = "kabutoflow";
/** This file's personal image namespace (images/image-namespace.ts), removed at the end. */
const OUR_NAMESPACE = `localhost/cairn/u--${LOGIN}/`;

let server: TestServer;
let cookie: string;

beforeAll(async () => {
  server = await startTestServer({ overrides: { minPasswordLength: 6 } });
});

afterAll(async () => {
  await server?.close();
  const names = execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" })
    .split("\n")
    .filter((n) => n.startsWith(OUR_NAMESPACE));
  if (names.length > 0) execFileSync("podman", ["rmi", "--force", ...names], { stdio: "ignore" });
});

/** requests.post(url, data=...): a form body. */
function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

async function call(method: string, path: string, body?: BodyInit): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { body } : {}), headers: cookie ? { cookie } : {} });
}

async function json(method: string, path: string, body?: BodyInit): Promise<any> {
  const res = await call(method, path, body);
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text);
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}


describe("the Kabuto README's python flow", () => {
  let imageId: string;
  let pipelineId: string;
  let first: string;
  let second: string;

  it("registers with 'SecreT', confirms and logs in by cookie", async () => {
    const short = await call("POST", "/register", form({ login: `${LOGIN}2`, password: "Secre", email: `${LOGIN}2@example.org` }));
    expect(short.status).toBe(400);
    expect((await short.json()).message).toContain("CAIRN_MIN_PASSWORD_LENGTH");
    const { token } = await json("POST", "/register", form({ login: LOGIN, password: "SecreT", email: `${LOGIN}@example.org` }));
    await json("GET", `/register/confirm/${LOGIN}/${token}`);
    const login = await call("POST", "/login", form({ login: LOGIN, password: "SecreT" }));
    expect(login.status).toBe(200);
    cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  });

  it("builds an image from a Dockerfile with an attachment", async () => {
    const data = new FormData();
    data.append("name", "kabuto-jobs-test");
    data.append("dockerfile", 'FROM localhost/busybox:test\nCOPY greeting.txt /greeting.txt\nCMD ["echo", "hello world"]\n');
    data.append("attachments", new Blob(["hello from the image\n"]), "greeting.txt");
    const { build_id } = await json("POST", "/image", data);
    const build = await until("the build", () => json("GET", `/image/build/${build_id}`), (b) => b.state !== "PENDING");
    expect(build.state, build.output).toBe("SUCCESS");
    imageId = build.id;
  });

  it("makes a pipeline and adds two jobs with attachments", async () => {
    pipelineId = (await json("POST", "/pipeline", form({ name: "my first pipeline" }))).id;
    const job = async (command: string, files: Record<string, string>) => {
      const data = new FormData();
      data.append("command", command);
      data.append("image_id", imageId);
      for (const [name, text] of Object.entries(files)) data.append("attachments", new Blob([text]), name);
      return (await json("POST", `/pipeline/${pipelineId}/job`, data)).id as string;
    };
    first = await job(`sh -c "cat /greeting.txt /inbox/file1 > /outbox/out1.txt; echo line-one; echo line-two; sleep 1"`, { file1: "first file\n", file2: "unused\n" });
    second = await job(`sh -c "echo second-job; cp /inbox/file2 /outbox/copied.txt"`, { file2: "second's own file2\n" });
    const pipeline = await json("GET", `/pipeline/${pipelineId}`);
    expect(pipeline).toEqual({ [pipelineId]: { id: pipelineId, name: "my first pipeline", creation_date: expect.any(String), jobs: [{ id: first }, { id: second }] } });
    expect((await json("GET", `/pipeline/${pipelineId}/job/${first}`))[first]).toMatchObject({ id: first, state: "ready", image: { id: imageId }, pipeline: { id: pipelineId } });
  });

  it("submits them, and they run first in, first out, to done", async () => {
    expect(await json("POST", `/pipeline/${pipelineId}/submit`)).toEqual({ [first]: "in_queue", [second]: "in_queue" });
    for (const id of [first, second]) {
      const job = await until(`job ${id}`, async () => (await json("GET", `/pipeline/${pipelineId}/job/${id}`))[id], (j) => j.state === "done" || j.state === "failed");
      expect(job.state).toBe("done");
      expect(Object.keys(job).sort()).toEqual(["attachment_token", "command", "creation_date", "id", "image", "pipeline", "results_path", "state", "used_cpu", "used_io", "used_memory"]);
    }
    // One run of the pipeline in the personal group; the second job started after the first ended.
    const db = new Database(join(server.dataDir, "cairn.db"), { readonly: true });
    try {
      const runs = db.prepare("SELECT uuid, group_id, pipeline_id FROM runs WHERE pipeline_id = ?").all(pipelineId) as { uuid: string }[];
      expect(runs).toEqual([{ uuid: expect.any(String), group_id: `~${LOGIN}`, pipeline_id: pipelineId }]);
      // The same run through the Tapis API, and the personal group among the caller's groups.
      const tapisRun = await until("the run", () => json("GET", `/v3/workflows/runs/${runs[0]!.uuid}`), (r) => r.result.status !== "running");
      expect(tapisRun.result).toMatchObject({ uuid: runs[0]!.uuid, group_id: `~${LOGIN}`, pipeline_id: pipelineId, status: "succeeded" });
      expect((await json("GET", "/v3/workflows/groups")).result.map((g: { id: string }) => g.id)).toContain(`~${LOGIN}`);
      const at = (task: string) => db.prepare("SELECT started_at, ended_at FROM task_executions WHERE task_id = ?").get(task) as { started_at: number; ended_at: number };
      expect(at(second).started_at).toBeGreaterThanOrEqual(at(first).ended_at);
    } finally {
      db.close();
    }
  });

  it("answers the logs as [{id, job, logline}], and only the newer lines after an id", async () => {
    const logs = (await json("GET", `/execution/${first}/logs`)) as { id: number; job: string; logline: string }[];
    expect(logs.map((l) => l.logline)).toEqual(["line-one", "line-two"]);
    expect(logs.every((l) => l.job === first && Number.isInteger(l.id))).toBe(true);
    expect(await json("GET", `/execution/${first}/logs/${logs[0]!.id}`)).toEqual([logs[1]]);
    expect(await json("GET", `/execution/${first}/logs/${logs[1]!.id}`)).toEqual([]);
    expect(((await json("GET", `/execution/${second}/logs`)) as { logline: string }[]).map((l) => l.logline)).toEqual(["second-job"]);
  });

  it("downloads each job's /outbox as a zip, each with its own attachments", async () => {
    const res = await call("GET", `/pipeline/${pipelineId}/job/${first}?result`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(Object.fromEntries(await zipTexts(Buffer.from(await res.arrayBuffer())))).toEqual({ "out1.txt": "hello from the image\nfirst file\n" });
    const other = await call("GET", `/pipeline/${pipelineId}/job/${second}?result`);
    expect(Object.fromEntries(await zipTexts(Buffer.from(await other.arrayBuffer())))).toEqual({ "copied.txt": "second's own file2\n" });
  });
});
