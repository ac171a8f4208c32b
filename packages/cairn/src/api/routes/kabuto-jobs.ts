import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import { CairnError, NotFoundError, ValidationError } from "../../errors.js";
import type { ExecutionId, RunId } from "../../ids.js";
import { ATTACHMENTS_FOR_TASKS, newStagingDir } from "../../workspace/run-inbox.js";
import type { Pipeline } from "../../spec/types.js";
import { parsePipeline } from "../../spec/validate.js";
import type { KabutoJobRecord, PipelineRecord } from "../../store/service-store.js";
import type { ExecutionRecord } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { receiveJobUpload } from "../job-upload.js";
import { principalOf, type Principal } from "../principal.js";
import { withUploads } from "../upload-scope.js";
import { ensurePersonalGroup as ensurePersonalGroupIn, personalGroup } from "../personal-group.js";
import { addOutboxFiles, newZip, zipMasker } from "./results.js";

/**
 * Kabuto's pipelines and jobs at kabuto-api.txt's own paths and shapes, for a Kabuto
 * client that has built its image with POST /image.
 *
 * The mapping onto Cairn:
 * - A Kabuto pipeline is a Cairn pipeline, id a uuid, in the caller's personal group
 *   `~LOGIN` (where POST /image builds too; the group row is made on first use, the caller
 *   its owner), its Kabuto name the pipeline's `description`. So its runs are ordinary
 *   runs of that pipeline, with their logs, results and usage.
 * - A job is a `container_run` task of that pipeline, id the job's id, image the digest
 *   of the caller's own built image (pinned: a later build under the same name changes no
 *   job), command Kabuto's string (split like a shell would, as docker-py did). Adding a
 *   job adds the task to the stored definition; the job itself (command, image, order,
 *   the run that took it) is a row of `kabuto_jobs` (migration 0011), and its files wait
 *   in DATA_DIR/kabuto-jobs/JOB until a submit takes them.
 * - `POST /pipeline/{id}/submit` starts ONE run of the jobs no run has taken yet, in the
 *   order they were added, each depending on the one before with `can_fail`: a chain, so
 *   they run first in, first out, one at a time, and a failed job does not stop the next.
 *   Each job's files are that task's attachments (its /inbox only). A job runs once: a
 *   later submit runs only the jobs added since.
 * - A job's state is its task's execution in that run: none yet `ready`; queued
 *   `in_queue`; `running`; succeeded `done`; anything else `failed`. Its usage, logs and
 *   /outbox files are that execution's.
 *
 * Everything is the caller's own: another user's pipeline or job is "not found", as one
 * that does not exist. A run's token is refused on every route (the default). One
 * pipeline's job adds and submits are taken one at a time in this process (KeyedQueue).
 */

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const pipelineParams = z.strictObject({ pipeline_id: z.uuid() });
const jobParams = z.strictObject({ pipeline_id: z.uuid(), job_id: z.uuid() });
const jobFields = z.strictObject({
  command: z.string().min(1, "must not be empty").max(64 * 1024),
  image_id: z.string().regex(DIGEST, "must be an image id from GET /image/build/BUILD_ID: sha256: and 64 hex digits"),
});
/** The most log lines one answer has; a client polls with the last id for the rest. */
const LOG_PAGE = 10_000;

export type KabutoJobState = "ready" | "in_queue" | "running" | "done" | "failed";

/** Kabuto's state of a job, from its execution (undefined: not submitted, or not yet recorded). */
export function kabutoJobState(job: Pick<KabutoJobRecord, "runUuid">, execution: Pick<ExecutionRecord, "status"> | undefined): KabutoJobState {
  if (job.runUuid === null) return "ready";
  switch (execution?.status) {
    case undefined:
    case "queued":
      return "in_queue";
    case "running":
      return "running";
    case "succeeded":
      return "done";
    default:
      return "failed";
  }
}

/** GET /pipeline/{id}/job/{job_id}'s answer, in kabuto-api.txt's shape. */
export function presentKabutoJob(job: KabutoJobRecord, execution: ExecutionRecord | undefined): Record<string, unknown> {
  const usage = execution?.usage ?? null;
  return {
    [job.uuid]: {
      id: job.uuid,
      command: job.command,
      state: kabutoJobState(job, execution),
      creation_date: new Date(job.createdAt).toISOString(),
      used_cpu: usage?.cpuSeconds ?? null,
      used_memory: usage?.peakMemoryBytes ?? null,
      used_io: usage ? usage.readBytes + usage.writtenBytes : null,
      // kabuto-api.txt: "to be removed in future release, holds no interest for users".
      attachment_token: null,
      results_path: null,
      image: { id: job.imageDigest },
      pipeline: { id: job.pipelineId },
    },
  };
}

/** GET /pipeline/{id}'s answer, in kabuto-api.txt's shape. */
export function presentKabutoPipeline(pipeline: PipelineRecord, jobs: readonly KabutoJobRecord[]): Record<string, unknown> {
  const definition = pipeline.definition as Partial<Pipeline>;
  return {
    [pipeline.id]: {
      id: pipeline.id,
      name: definition.description ?? pipeline.id,
      creation_date: new Date(pipeline.createdAt).toISOString(),
      jobs: jobs.map((j) => ({ id: j.uuid })),
    },
  };
}

/** The job as a task of its pipeline. */
export function kabutoJobTask(job: Pick<KabutoJobRecord, "uuid" | "command" | "imageDigest">): Record<string, unknown> {
  return { id: job.uuid, type: "container_run", description: "a Kabuto job", image: job.imageDigest, command: job.command };
}

/**
 * The pipeline a submit runs: the jobs' tasks, each after the one before (can_fail), so
 * they run one at a time in the order given.
 */
export function submittedPipeline(pipelineId: string, name: string, jobs: readonly Pick<KabutoJobRecord, "uuid" | "command" | "imageDigest">[]): Pipeline {
  const tasks = jobs.map((job, i) => ({ ...kabutoJobTask(job), depends_on: i === 0 ? [] : [{ id: jobs[i - 1]!.uuid, can_fail: true }] }));
  return parsePipeline({ id: pipelineId, description: name, tasks }, "submitted pipeline");
}

function jobsDir(dataDir: string, jobUuid: string): string {
  return join(dataDir, "kabuto-jobs", jobUuid);
}

/**
 * Runs `work` after any earlier work under the same key has ended. Adding a job (which
 * rewrites the pipeline's definition) and submitting (which must hand each job to one run
 * only) each read, then write: one pipeline's are taken one at a time, in this process.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    // The caller of run() gets the failure; the queue only waits for the work to end.
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

export async function kabutoJobRoutes(app: ApiApp, ctx: ApiContext): Promise<void> {
  const service = ctx.store.service;
  const perPipeline = new KeyedQueue();

  /** The caller's own pipeline; another's is "not found". */
  async function ownPipeline(principal: Principal, pipelineId: string): Promise<PipelineRecord> {
    const pipeline = await service.getPipeline(personalGroup(principal.login), pipelineId);
    if (!pipeline) throw new NotFoundError("pipeline", pipelineId);
    return pipeline;
  }

  /** The caller's own job of that pipeline, and its execution when it has one. */
  async function ownJob(principal: Principal, jobId: string, pipelineId?: string): Promise<{ job: KabutoJobRecord; execution: ExecutionRecord | undefined }> {
    const job = await service.getKabutoJob(jobId);
    if (!job || job.groupId !== personalGroup(principal.login) || (pipelineId !== undefined && job.pipelineId !== pipelineId)) throw new NotFoundError("job", jobId);
    return { job, execution: await executionOf(job) };
  }

  async function executionOf(job: KabutoJobRecord): Promise<ExecutionRecord | undefined> {
    if (job.runUuid === null) return undefined;
    const attempts = (await ctx.store.listExecutions(job.runUuid as RunId)).filter((e) => e.taskId === job.uuid);
    return attempts.sort((a, b) => a.attempt - b.attempt).at(-1);
  }

  const ensurePersonalGroup = (login: string) => ensurePersonalGroupIn(service, login);

  app.post(
    "/pipeline",
    { schema: { summary: "Create a Kabuto pipeline in the caller's own group (kabuto-api.txt); answers its id", body: z.strictObject({ name: z.string().min(1, "must not be empty").max(256) }) } },
    async (request, reply) => {
      const principal = principalOf(request);
      const groupId = await ensurePersonalGroup(principal.login);
      const id = randomUUID();
      const now = Date.now();
      // No task until a job is added: the definition is stored as it will grow, not through
      // the validator (which wants a task); each job added is validated with it.
      const definition = { id, description: request.body.name, tasks: [], env: {}, execution_profile: {}, archives: [] };
      await service.createPipeline({ uuid: randomUUID(), groupId, id, owner: principal.login, definition, createdAt: now, updatedAt: now, updatedBy: principal.login });
      return reply.status(201).send({ id });
    },
  );

  app.get("/pipeline/:pipeline_id", { schema: { summary: "A Kabuto pipeline and its jobs", params: pipelineParams } }, async (request) => {
    const pipeline = await ownPipeline(principalOf(request), request.params.pipeline_id);
    return presentKabutoPipeline(pipeline, await service.listKabutoJobs(pipeline.groupId, pipeline.id));
  });

  await withUploads(app, ctx.config.maxUploadBytes, (uploads) =>
    uploads.post(
      "/pipeline/:pipeline_id/job",
      {
        schema: {
          summary: "Add a job to a Kabuto pipeline: command, image_id and files as attachments (kabuto-api.txt); answers its id",
          description:
            "A JSON or form body with command and image_id, or multipart/form-data as kabuto sends it: command and image_id as fields, and attachments as " +
            "file parts, each file's name its path under the job's /inbox. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.",
          params: pipelineParams,
          body: jobFields,
        },
        // A multipart body is read by the handler; the schema sees a placeholder and the handler checks the real fields with it.
        preValidation: async (request) => {
          if (request.isMultipart()) request.body = { command: "multipart", image_id: `sha256:${"0".repeat(64)}` };
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const pipeline = await ownPipeline(principal, request.params.pipeline_id);
        const upload = request.isMultipart()
          ? await receiveJobUpload(request, { dataDir: ctx.config.dataDir, maxBytes: ctx.config.maxUploadBytes }).catch((err: unknown) => {
              // The rest of the body is not read: closing the connection stops the client sending it.
              void reply.header("connection", "close");
              throw err;
            })
          : undefined;
        try {
          const body = upload ? parseJobFields(upload.fields) : request.body;
          const id = await perPipeline.run(`${pipeline.groupId}/${pipeline.id}`, () => addJob(principal, pipeline.id, body, upload?.staging));
          return reply.status(201).send({ id });
        } finally {
          if (upload?.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
        }
      },
    ),
  );

  /** Adds the job, its files moved out of `staging` to wait for a submit; answers its id. */
  async function addJob(principal: Principal, pipelineId: string, body: z.infer<typeof jobFields>, staging: string | undefined): Promise<string> {
    // Read in turn: a job added just before is in the definition now.
    const pipeline = await ownPipeline(principal, pipelineId);
    if (!(await ctx.store.images.getImage(pipeline.groupId, body.image_id))) {
      const message = "is not an image you built: build one with POST /image and give the id GET /image/build/BUILD_ID answers";
      throw new CairnError("invalid_input", `image_id ${message}`, { details: { issues: [{ path: "image_id", message }] } });
    }
    const job = { uuid: randomUUID(), groupId: pipeline.groupId, pipelineId: pipeline.id, command: body.command, imageDigest: body.image_id, hasAttachments: staging !== undefined, createdAt: Date.now() };
    const definition = pipeline.definition as Pipeline;
    const grown = parsePipeline({ ...definition, tasks: [...definition.tasks, kabutoJobTask(job)] }, "job");
    if (staging !== undefined) {
      await mkdir(join(ctx.config.dataDir, "kabuto-jobs"), { recursive: true });
      await rename(staging, jobsDir(ctx.config.dataDir, job.uuid));
    }
    try {
      await service.addKabutoJob(job);
    } catch (err) {
      if (job.hasAttachments) await rm(jobsDir(ctx.config.dataDir, job.uuid), { recursive: true, force: true });
      throw err;
    }
    // The task in the stored definition too, so the Tapis API shows the pipeline's jobs.
    await service.updatePipeline(pipeline.groupId, pipeline.id, grown, Date.now(), principal.login);
    return job.uuid;
  }

  app.get(
    "/pipeline/:pipeline_id/job/:job_id",
    {
      schema: {
        summary: "A Kabuto job with its state and usage; with ?result, a zip of what it wrote to /outbox",
        params: jobParams,
        querystring: z.strictObject({ result: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { job, execution } = await ownJob(principal, request.params.job_id, request.params.pipeline_id);
      if (request.query.result === undefined) return presentKabutoJob(job, execution);
      // Results are gathered when the job ends: before, a zip would be empty or partial.
      const state = kabutoJobState(job, execution);
      if (!execution || (state !== "done" && state !== "failed")) throw new CairnError("conflict", `job '${job.uuid}' has not finished (state ${state}): its result is ready once it is done or failed`);
      const zip = newZip();
      await addOutboxFiles(zip, ctx.config, await zipMasker(ctx, { groupId: job.groupId, startedBy: principal.login }), execution, "");
      zip.end();
      return reply.type("application/zip").header("content-disposition", `attachment; filename="job-${job.uuid}.zip"`).send(zip.outputStream);
    },
  );

  app.post("/pipeline/:pipeline_id/submit", { schema: { summary: "Run the jobs added since the last submit, first in, first out; answers {JOB_ID: state}", params: pipelineParams } }, async (request) => {
    const principal = principalOf(request);
    const pipeline = await ownPipeline(principal, request.params.pipeline_id);
    return perPipeline.run(`${pipeline.groupId}/${pipeline.id}`, () => submit(principal, pipeline, request.log));
  });

  /** Starts the run of the jobs no run has taken yet; see the mapping above. */
  async function submit(principal: Principal, pipeline: PipelineRecord, log: FastifyBaseLogger): Promise<Record<string, KabutoJobState>> {
    const queued = (await service.listKabutoJobs(pipeline.groupId, pipeline.id)).filter((j) => j.runUuid === null);
    if (queued.length === 0) return {};
    const name = (pipeline.definition as Partial<Pipeline>).description ?? pipeline.id;
    const runPipeline = submittedPipeline(pipeline.id, name, queued);
    const moved: KabutoJobRecord[] = [];
    let staging: string | undefined;
    try {
      for (const job of queued.filter((j) => j.hasAttachments)) {
        staging ??= await newStagingDir(ctx.config.dataDir);
        await mkdir(join(staging, ATTACHMENTS_FOR_TASKS), { recursive: true });
        await rename(jobsDir(ctx.config.dataDir, job.uuid), join(staging, ATTACHMENTS_FOR_TASKS, job.uuid));
        moved.push(job);
      }
      const run = await ctx.engine.startRun({
        pipeline: runPipeline,
        groupId: pipeline.groupId,
        startedBy: principal.login,
        definedBy: principal.login,
        ...(staging !== undefined ? { attachments: staging } : {}),
      });
      await service.markKabutoJobsSubmitted(
        queued.map((j) => j.uuid),
        run.uuid,
      );
      return Object.fromEntries(queued.map((j) => [j.uuid, "in_queue" satisfies KabutoJobState]));
    } catch (err) {
      // Not started: the files go back to wait for the next submit.
      if (staging !== undefined && (await exists(staging))) {
        let stuck = false;
        for (const job of moved) {
          await rename(join(staging, ATTACHMENTS_FOR_TASKS, job.uuid), jobsDir(ctx.config.dataDir, job.uuid)).catch((cause: unknown) => {
            stuck = true;
            log.warn({ err: cause, job: job.uuid, staging }, "a job's files could not go back to wait for the next submit; they stay in the staging folder");
          });
        }
        // Removing the staging folder would lose the files that could not go back.
        if (!stuck) await rm(staging, { recursive: true, force: true });
      }
      throw err;
    }
  }

  /** What the job printed after `sinceId`; Cairn's own notes (stream `system`) are the Tapis log's. */
  async function jobLogs(principal: Principal, jobId: string, sinceId: number): Promise<{ id: number; job: string; logline: string }[]> {
    const { job, execution } = await ownJob(principal, jobId);
    if (!execution) return [];
    const lines = await ctx.store.readLogs(execution.uuid as ExecutionId, { sinceId, limit: LOG_PAGE });
    return lines.filter((l) => l.stream !== "system").map((l) => ({ id: l.id, job: job.uuid, logline: l.line }));
  }
  app.get("/execution/:job_id/logs", { schema: { summary: "A Kabuto job's log lines: [{id, job, logline}]", params: z.strictObject({ job_id: z.uuid() }) } }, async (request) =>
    jobLogs(principalOf(request), request.params.job_id, 0),
  );
  app.get(
    "/execution/:job_id/logs/:log_id",
    { schema: { summary: "A Kabuto job's log lines after that id, for polling", params: z.strictObject({ job_id: z.uuid(), log_id: z.coerce.number().int().min(0) }) } },
    async (request) => jobLogs(principalOf(request), request.params.job_id, request.params.log_id),
  );
}

/** A multipart job's fields, checked by the same schema as a JSON body. */
function parseJobFields(fields: Record<string, unknown>): z.infer<typeof jobFields> {
  const parsed = jobFields.safeParse(fields);
  if (parsed.success) return parsed.data;
  throw new ValidationError("job", parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
