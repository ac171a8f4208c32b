import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config.js";
import type { StartRunRequest } from "../../engine/engine.js";
import { newExecutionId, newRunId, type RunId } from "../../ids.js";
import type { DataKey } from "../../secrets/key-ring.js";
import { createStore } from "../../store/create-store.js";
import type { ExecutionRecord, RunRecord, Store } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { buildApi } from "../build-api.js";
import { SignedTokenService } from "../token-service.js";
import { kabutoJobState, presentKabutoJob, submittedPipeline } from "./kabuto-jobs.js";

/**
 * Kabuto's pipeline and job routes in process, on a real SQLite store, with an engine
 * that records what it is asked to run: the shapes, the mapping onto runs and the
 * refusals. test/api/kabuto-jobs.int.test.ts runs the same calls for real.
 */

const IMAGE = `sha256:${"a".repeat(64)}`;

let dir: string;
let store: Store;
let app: ApiApp;
let ctx: ApiContext;
let started: { request: StartRunRequest; run: RunRecord; inbox: string[] }[];
const cookies: Record<string, string> = {};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-kabuto-jobs-"));
  store = await createStore({ sqlitePath: join(dir, "cairn.db") });
  started = [];
  const config = loadConfig({ dataDir: dir }, {});
  ctx = {
    config,
    store,
    tokens: new SignedTokenService(randomBytes(32) as DataKey, store, 3600),
    passwords: { hash: async (p) => `fake$${p}`, verify: async (p, h) => h === `fake$${p}` },
    newConfirmationCode: () => "code",
    engine: {
      checkRunnable: () => undefined,
      async startRun(request: StartRunRequest) {
        const run: RunRecord = {
          uuid: newRunId(),
          pipelineId: request.pipeline.id,
          groupId: request.groupId!,
          status: "running",
          pipeline: request.pipeline,
          params: {},
          directives: {},
          createdAt: Date.now(),
          startedAt: Date.now(),
          endedAt: null,
          message: null,
          startedBy: request.startedBy ?? null,
        };
        // What a real start does with the attachments: they leave the staging folder.
        const inbox = request.attachments ? await readdir(join(request.attachments, "tasks"), { recursive: true }) : [];
        if (request.attachments) await rm(request.attachments, { recursive: true });
        started.push({ request, run, inbox: inbox.map(String).sort() });
        return run;
      },
    } as never,
    sealer: undefined as never,
    systems: undefined as never,
    actors: undefined as never,
  };
  app = await buildApi(ctx);
  for (const login of ["me", "eve"]) {
    await store.service.createUser({ login, email: `${login}@example.org`, passwordHash: "fake$SecreT-123", confirmed: true, confirmationCode: null, isAdmin: false, createdAt: 1 });
    const res = await app.inject({ method: "POST", url: "/login", payload: { login, password: "SecreT-123" } });
    cookies[login] = `cairn_token=${res.json().token}`;
  }
  await store.images.recordImage({
    groupId: "~me",
    digest: IMAGE,
    names: ["localhost/test:latest"],
    origin: "built",
    createdAt: 1,
    recordedAt: 1,
    architecture: null,
    os: null,
    sizeBytes: null,
    builder: "podman",
    engine: null,
    recipe: null,
    runUuid: null,
    taskId: null,
  });
});

afterEach(async () => {
  await app.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function call(login: string, method: "GET" | "POST", url: string, payload?: unknown) {
  return app.inject({ method, url, headers: { cookie: cookies[login]! }, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
}

function multipartJob(fields: Record<string, string>, files: Record<string, string>) {
  const boundary = "----kabuto-test";
  const parts = [
    ...Object.entries(fields).map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
    ...Object.entries(files).map(([name, text]) => `--${boundary}\r\ncontent-disposition: form-data; name="attachments"; filename="${name}"\r\ncontent-type: application/octet-stream\r\n\r\n${text}\r\n`),
  ];
  return { payload: parts.join("") + `--${boundary}--\r\n`, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

async function newPipeline(login = "me", name = "my first pipeline"): Promise<string> {
  const res = await call(login, "POST", "/pipeline", { name });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe("Kabuto pipelines and jobs", () => {
  it("create a pipeline in the caller's own group, answered as {ID: {id, name, creation_date, jobs}}", async () => {
    const id = await newPipeline();
    const res = await call("me", "GET", `/pipeline/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ [id]: { id, name: "my first pipeline", creation_date: expect.any(String), jobs: [] } });
    // A Cairn pipeline of the personal group, whose owner is the caller.
    expect((await store.service.getPipeline("~me", id))?.owner).toBe("me");
    expect(await store.service.getMember("~me", "me")).toMatchObject({ role: "owner" });
    // A form body, as the python example sends.
    const form = await app.inject({ method: "POST", url: "/pipeline", headers: { cookie: cookies.me!, "content-type": "application/x-www-form-urlencoded" }, payload: "name=my_first_pipeline" });
    expect(form.statusCode).toBe(201);
  });

  it("add jobs with attachments, list them in order, and show each as ready until submitted", async () => {
    const id = await newPipeline();
    const first = await app.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ command: "cat /inbox/file1", image_id: IMAGE }, { file1: "one", "data/file2": "two" })) });
    expect(first.statusCode).toBe(201);
    const second = await call("me", "POST", `/pipeline/${id}/job`, { command: "echo hello world", image_id: IMAGE });
    expect(second.statusCode).toBe(201);
    const [a, b] = [first.json().id as string, second.json().id as string];
    expect((await call("me", "GET", `/pipeline/${id}`)).json()[id].jobs).toEqual([{ id: a }, { id: b }]);
    const job = await call("me", "GET", `/pipeline/${id}/job/${a}`);
    expect(job.json()).toEqual({
      [a]: {
        id: a,
        command: "cat /inbox/file1",
        state: "ready",
        creation_date: expect.any(String),
        used_cpu: null,
        used_memory: null,
        used_io: null,
        attachment_token: null,
        results_path: null,
        image: { id: IMAGE },
        pipeline: { id },
      },
    });
    // The jobs are tasks of the stored pipeline too, for the Tapis API.
    const definition = (await store.service.getPipeline("~me", id))!.definition as { tasks: { id: string; image: string }[] };
    expect(definition.tasks.map((t) => [t.id, t.image])).toEqual([
      [a, IMAGE],
      [b, IMAGE],
    ]);
  });

  it("submit the jobs added since the last submit as one chained run, FIFO, each with its own files", async () => {
    const id = await newPipeline();
    const a = (await app.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ command: "cat /inbox/f", image_id: IMAGE }, { f: "for a" })) })).json().id;
    const b = (await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: IMAGE })).json().id;
    const submit = await call("me", "POST", `/pipeline/${id}/submit`);
    expect(submit.statusCode).toBe(200);
    expect(submit.json()).toEqual({ [a]: "in_queue", [b]: "in_queue" });
    expect(started).toHaveLength(1);
    const { request, run, inbox } = started[0]!;
    expect(request.groupId).toBe("~me");
    expect(request.pipeline.id).toBe(id);
    expect(request.pipeline.tasks.map((t) => [t.id, t.depends_on])).toEqual([
      [a, []],
      [b, [{ id: a, can_fail: true }]],
    ]);
    expect(inbox).toEqual([a, `${a}/f`]);
    // Submitted jobs are not run again; a job added later is, alone.
    expect((await call("me", "POST", `/pipeline/${id}/submit`)).json()).toEqual({});
    const c = (await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: IMAGE })).json().id;
    expect(Object.keys((await call("me", "POST", `/pipeline/${id}/submit`)).json())).toEqual([c]);
    expect(started[1]!.request.pipeline.tasks.map((t) => t.id)).toEqual([c]);
    // State, usage and logs are the job's execution's.
    expect((await call("me", "GET", `/pipeline/${id}/job/${a}`)).json()[a].state).toBe("in_queue");
    const execution = execOf(run.uuid, a, { status: "succeeded", usage: { cpuSeconds: 1.5, peakMemoryBytes: 2048, readBytes: 10, writtenBytes: 5 } });
    await store.commit({ newRuns: [run], newExecutions: [execution], logs: [line(execution, "stdout", "one"), line(execution, "system", "note"), line(execution, "stderr", "two")] });
    const done = (await call("me", "GET", `/pipeline/${id}/job/${a}`)).json()[a];
    expect([done.state, done.used_cpu, done.used_memory, done.used_io]).toEqual(["done", 1.5, 2048, 15]);
    const logs = (await call("me", "GET", `/execution/${a}/logs`)).json() as { id: number; job: string; logline: string }[];
    expect(logs.map((l) => [l.job, l.logline])).toEqual([
      [a, "one"],
      [a, "two"],
    ]);
    expect((await call("me", "GET", `/execution/${a}/logs/${logs[0]!.id}`)).json()).toEqual([logs[1]]);
    expect((await call("me", "GET", `/execution/${a}/logs/${logs[1]!.id}`)).json()).toEqual([]);
  });

  it("take jobs added at once one at a time: each in the order and in the definition, and submits that race run each job once", async () => {
    const id = await newPipeline();
    const adds = await Promise.all(Array.from({ length: 6 }, (_, i) => call("me", "POST", `/pipeline/${id}/job`, { command: `echo ${i}`, image_id: IMAGE })));
    expect(adds.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    const jobs = await store.service.listKabutoJobs("~me", id);
    expect(jobs.map((j) => j.position)).toEqual([1, 2, 3, 4, 5, 6]);
    const definition = (await store.service.getPipeline("~me", id))!.definition as { tasks: { id: string }[] };
    expect(definition.tasks.map((t) => t.id)).toEqual(jobs.map((j) => j.uuid));
    const submits = await Promise.all([1, 2, 3].map(() => call("me", "POST", `/pipeline/${id}/submit`)));
    expect(submits.map((r) => Object.keys(r.json()).length).sort()).toEqual([0, 0, 6]);
    expect(started).toHaveLength(1);
  });

  it("refuse bad input with 400 naming the field", async () => {
    const id = await newPipeline();
    const noName = await call("me", "POST", "/pipeline", {});
    expect(noName.statusCode).toBe(400);
    expect(noName.json().message).toContain("name");
    const badImage = await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: "busybox" });
    expect(badImage.statusCode).toBe(400);
    expect(badImage.json().message).toContain("image_id");
    const notBuilt = await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: `sha256:${"b".repeat(64)}` });
    expect(notBuilt.statusCode).toBe(400);
    expect(notBuilt.json().result.issues[0].path).toBe("image_id");
    const noCommand = await app.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ image_id: IMAGE }, {})) });
    expect(noCommand.statusCode).toBe(400);
    expect(noCommand.json().message).toContain("command");
    const badFile = await app.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ command: "true", image_id: IMAGE }, { "../x": "no" })) });
    expect(badFile.statusCode).toBe(400);
    expect(badFile.json().message).toContain("attachments");
    const unknownField = await app.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ command: "true", image_id: IMAGE, shell: "bash" }, {})) });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().message).toContain("shell");
    expect((await call("me", "GET", `/pipeline/${id}`)).json()[id].jobs).toEqual([]);
    // An image the caller did not build is not theirs to run, even one another user built.
    expect((await call("eve", "POST", `/pipeline/${await newPipeline("eve")}/job`, { command: "true", image_id: IMAGE })).statusCode).toBe(400);
  });

  it("show another user's pipeline and jobs as not found, and refuse callers without a session", async () => {
    const id = await newPipeline();
    const job = (await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: IMAGE })).json().id;
    for (const [method, url] of [
      ["GET", `/pipeline/${id}`],
      ["POST", `/pipeline/${id}/submit`],
      ["GET", `/pipeline/${id}/job/${job}`],
      ["GET", `/pipeline/${id}/job/${job}?result`],
      ["GET", `/execution/${job}/logs`],
      ["GET", `/execution/${job}/logs/0`],
    ] as const) {
      expect((await call("eve", method, url)).statusCode, `${method} ${url}`).toBe(404);
      expect((await app.inject({ method, url })).statusCode, `${method} ${url}`).toBe(401);
    }
    expect((await call("eve", "POST", `/pipeline/${id}/job`, { command: "true", image_id: IMAGE })).statusCode).toBe(404);
    expect(started).toHaveLength(0);
  });

  it("refuse attachments over CAIRN_MAX_UPLOAD_BYTES with 413, keeping no file and no job", async () => {
    const id = await newPipeline();
    const small = await buildApi({ ...ctx, config: loadConfig({ dataDir: dir, maxUploadBytes: 64 }, {}) });
    try {
      const res = await small.inject({ method: "POST", url: `/pipeline/${id}/job`, ...withCookie(multipartJob({ command: "true", image_id: IMAGE }, { big: "x".repeat(200) })) });
      expect(res.statusCode).toBe(413);
      expect(res.json().message).toContain("CAIRN_MAX_UPLOAD_BYTES");
    } finally {
      await small.close();
    }
    expect(await store.service.listKabutoJobs("~me", id)).toEqual([]);
    expect(await readdir(join(dir, "uploads")).catch(() => [])).toEqual([]);
  });

  it("answer 409 for the result of a job that has not finished", async () => {
    const id = await newPipeline();
    const job = (await call("me", "POST", `/pipeline/${id}/job`, { command: "true", image_id: IMAGE })).json().id;
    const res = await call("me", "GET", `/pipeline/${id}/job/${job}?result`);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain("has not finished (state ready)");
  });
});

describe("the job's state", () => {
  it("is ready before a submit, then follows its execution", () => {
    expect(kabutoJobState({ runUuid: null }, undefined)).toBe("ready");
    expect(kabutoJobState({ runUuid: "r" }, undefined)).toBe("in_queue");
    expect(kabutoJobState({ runUuid: "r" }, { status: "queued" })).toBe("in_queue");
    expect(kabutoJobState({ runUuid: "r" }, { status: "running" })).toBe("running");
    expect(kabutoJobState({ runUuid: "r" }, { status: "succeeded" })).toBe("done");
    for (const status of ["failed", "timed_out", "cancelled", "skipped"] as const) expect(kabutoJobState({ runUuid: "r" }, { status })).toBe("failed");
  });

  it("is shown with usage as kabuto-api.txt has it", () => {
    const job = { uuid: "j", groupId: "~me", pipelineId: "p", position: 1, command: "c", imageDigest: IMAGE, hasAttachments: false, createdAt: 0, runUuid: "r" };
    expect(presentKabutoJob(job, { ...execOf("r" as RunId, "j", { status: "failed" }) })).toMatchObject({ j: { state: "failed", used_cpu: null, creation_date: "1970-01-01T00:00:00.000Z" } });
  });

  it("a submit chains the jobs in the order given", () => {
    const p = submittedPipeline("p", "n", [
      { uuid: "j1", command: "a", imageDigest: IMAGE },
      { uuid: "j2", command: "b", imageDigest: IMAGE },
      { uuid: "j3", command: "c", imageDigest: IMAGE },
    ]);
    expect(p.tasks.map((t) => t.depends_on.map((d) => d.id))).toEqual([[], ["j1"], ["j2"]]);
    expect(p.tasks.every((t) => t.type === "container_run" && t.image === IMAGE)).toBe(true);
  });
});

function withCookie(req: { payload: string; headers: Record<string, string> }) {
  return { payload: req.payload, headers: { ...req.headers, cookie: cookies.me! } };
}

function execOf(runUuid: RunId, taskId: string, patch: Partial<ExecutionRecord>): ExecutionRecord {
  return {
    uuid: newExecutionId(),
    runUuid,
    taskId,
    attempt: 1,
    status: "queued",
    createdAt: 0,
    notBefore: null,
    startedAt: 0,
    endedAt: 0,
    exitCode: 0,
    message: null,
    outputs: {},
    runtimeHandle: null,
    usage: null,
    ...patch,
  };
}

function line(e: ExecutionRecord, stream: "stdout" | "stderr" | "system", text: string) {
  return { executionUuid: e.uuid, stream, ts: 1, line: text };
}

