import { rm } from "node:fs/promises";
import { z } from "zod";
import { CairnError, NotFoundError, ValidationError } from "../../errors.js";
import type { RunId } from "../../ids.js";
import { BUILD_FAILED } from "../../images/build-failure.js";
import type { ImageBuildTask, Pipeline } from "../../spec/types.js";
import { parsePipeline } from "../../spec/validate.js";
import type { ExecutionRecord, RunRecord } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { receiveImageUpload } from "../image-upload.js";
import { principalOf } from "../principal.js";
import { personalGroup } from "../personal-group.js";
import { withUploads } from "../upload-scope.js";

/**
 * Image builds outside pipelines, as kabuto-api.txt has them: `POST /image` with a name
 * and a Dockerfile (plus attachments) or a repository URL answers a build id at once;
 * `GET /image/build/{id}` answers PENDING, SUCCESS (image id, output), FAILED (the
 * recipe failed: error, output) or FAILURE (Cairn failed: error, trace). A build is a run
 * of a one-task pipeline in the user's own space (group `~LOGIN`, which no real group id
 * can spell), so it is as durable as any run, its log is kept, and the image goes to
 * the catalog. The image is named in that space's own namespace, made from the exact
 * login (images/image-namespace.ts): `Alice` and `alice` can never name each other's
 * images, whatever logins the accounts allow.
 */

const IMAGE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const buildBody = z.strictObject({
  name: z.string().regex(IMAGE_NAME, "must be lowercase letters and digits, optionally separated by . _ or -").max(64),
  dockerfile: z.string().min(1).max(1_000_000).optional(),
  repo_url: z.url({ protocol: /^(https?|git)$/, error: "must be an http(s):// or git:// URL" }).optional(),
  /** JSON `{path: base64}` (or a JSON string of it in a form); multipart bodies send files (api/image-upload.ts). */
  attachments: z.union([z.record(z.string(), z.string()), z.string().transform((text, c) => parseAttachments(text, c))]).optional(),
  nocache: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(false),
});

/** The owner's private space for builds outside pipelines. */
export async function imageBuildRoutes(app: ApiApp, ctx: ApiContext): Promise<void> {
  await withUploads(app, ctx.config.maxUploadBytes, (uploads) =>
  uploads.post(
    "/image",
    {
      schema: {
        summary: "Build an image outside a pipeline (kabuto-api.txt); answers the build id at once",
        description:
          "A JSON or form body, or multipart/form-data as kabuto sends it: name, dockerfile (a field or a file), repo_url and nocache as fields, " +
          "and attachments as file parts whose file names (with folders) are their paths in the build context. Uploads larger than CAIRN_MAX_UPLOAD_BYTES get 413.",
        body: buildBody,
      },
      // A multipart body is read by the handler; the schema sees a placeholder and the handler checks the real fields with it.
      preValidation: async (request) => {
        if (request.isMultipart()) request.body = { name: "multipart", nocache: false };
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot start builds");
      const upload = request.isMultipart()
        ? await receiveImageUpload(request, { dataDir: ctx.config.dataDir, maxBytes: ctx.config.maxUploadBytes }).catch((err: unknown) => {
            // The rest of the body is not read: closing the connection stops the client sending it.
            void reply.header("connection", "close");
            throw err;
          })
        : undefined;
      try {
        const body = upload ? parseBuildFields(upload.fields) : request.body;
        // kabuto: "The 'repo_url' parameter is handled over the 'dockerfile' parameter when both are given."
        const context = body.repo_url
          ? { type: "git", url: body.repo_url, ...(looksLikeGit(body.repo_url) ? {} : { vcs: "mercurial" }) }
          : body.dockerfile
            ? {
                type: "inline",
                dockerfile: body.dockerfile,
                ...(body.attachments ? { attachments: body.attachments } : {}),
                // Uploaded files are the run's attachments (on disk), not base64 in its pipeline.
                ...(upload?.staging !== undefined ? { include_inbox: true } : {}),
              }
            : undefined;
        if (!context) throw new CairnError("invalid_input", "give dockerfile (the Dockerfile's text) or repo_url (a repository with a Dockerfile)", { details: { issues: [{ path: "dockerfile", message: "required when repo_url is not given" }] } });
        const pipeline = parsePipeline(
          {
            id: `image-${body.name}`,
            tasks: [{ id: "build", type: "image_build", builder: "podman", cache: !body.nocache, context, destination: { type: "local", url: body.name, tag: "latest" } }],
          },
          "image build",
        );
        const run = await ctx.engine.startRun({
          pipeline,
          groupId: personalGroup(principal.login),
          startedBy: principal.login,
          ...(upload?.staging !== undefined && context.type === "inline" ? { attachments: upload.staging } : {}),
        });
        return reply.status(201).send({ status: "PENDING", build_id: run.uuid });
      } finally {
        // Moved into the run's folder when it started; anything left belongs to no run.
        if (upload?.staging !== undefined) await rm(upload.staging, { recursive: true, force: true });
      }
    },
  ),
  );

  app.get("/image/build/:build_id", { schema: { summary: "The state of a build: PENDING, SUCCESS, FAILED or FAILURE", params: z.strictObject({ build_id: z.uuid() }) } }, async (request) => {
    const { run, execution } = await ownBuild(ctx, principalOf(request).login, request.params.build_id);
    const output = await logText(ctx, execution);
    if (run.status === "pending" || run.status === "queued" || run.status === "running" || !execution) return { state: "PENDING" };
    if (run.status === "succeeded") return { state: "SUCCESS", id: execution.outputs.image_id, image: execution.outputs.image, output };
    const error = execution.message ?? run.message ?? `the build ended ${run.status}`;
    if (error.startsWith(BUILD_FAILED)) return { state: "FAILED", error: error.slice(BUILD_FAILED.length), output };
    return { state: "FAILURE", error, output };
  });

  app.get("/image/:image_id", { schema: { summary: "An image built with POST /image", params: z.strictObject({ image_id: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be an image id: sha256: and 64 hex digits") }) } }, async (request) => {
    const login = principalOf(request).login;
    const image = await ctx.store.images.getImage(personalGroup(login), request.params.image_id);
    if (!image) throw new NotFoundError("image", request.params.image_id);
    const run = image.runUuid ? await ctx.store.getRun(image.runUuid as RunId) : undefined;
    const task = (run?.pipeline as Pipeline | undefined)?.tasks[0] as ImageBuildTask | undefined;
    return {
      [image.digest]: {
        id: image.digest,
        name: run?.pipelineId.replace(/^image-/, "") ?? image.names[0] ?? null,
        names: image.names,
        dockerfile: task?.context.type === "inline" ? task.context.dockerfile : null,
        creation_date: new Date(image.createdAt).toISOString(),
      },
    };
  });
}

async function ownBuild(ctx: ApiContext, login: string, buildId: string): Promise<{ run: RunRecord; execution: ExecutionRecord | undefined }> {
  const run = await ctx.store.getRun(buildId as RunId);
  // Someone else's build is "not found", like one that does not exist.
  if (!run || run.groupId !== personalGroup(login)) throw new NotFoundError("build", buildId);
  const executions = await ctx.store.listExecutions(run.uuid);
  return { run, execution: executions.at(-1) };
}

async function logText(ctx: ApiContext, execution: ExecutionRecord | undefined): Promise<string> {
  if (!execution) return "";
  const lines = await ctx.store.readLogs(execution.uuid, { limit: 100_000 });
  return lines.map((l) => l.line).join("\n");
}

/** A multipart build's fields, checked by the same schema as a JSON body. */
function parseBuildFields(fields: Record<string, unknown>): z.infer<typeof buildBody> {
  const parsed = buildBody.safeParse(fields);
  if (parsed.success) return parsed.data;
  throw new ValidationError("image build", parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
}

function parseAttachments(text: string, c: z.core.$RefinementCtx<string>): Record<string, string> {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string")) return parsed as Record<string, string>;
  } catch {
    // reported below
  }
  c.addIssue({ code: "custom", message: 'must be a JSON object of file path to base64 content, e.g. {"data/a.txt": "aGVsbG8="}' });
  return z.NEVER;
}

/**
 * Kabuto's repo_url names a Mercurial repository; a git one is recognised by its `.git`
 * path or `git://` scheme, so Cairn users' git URLs keep working here.
 */
function looksLikeGit(url: string): boolean {
  return /^git:\/\//i.test(url) || /\.git\/?$/i.test(new URL(url).pathname);
}
