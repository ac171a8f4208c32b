import { z } from "zod";
import { CairnError, NotFoundError, ValidationError } from "../../errors.js";
import type { RunId } from "../../ids.js";
import { planRerun, type Replacement } from "../../images/rerun-plan.js";
import type { Pipeline } from "../../spec/types.js";
import type { ImageRecord, ImageShare, ImageUse } from "../../store/image-catalog.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { principalOf } from "../principal.js";
import { groupIdSchema, idSchema } from "./groups.js";
import { loadRun, presentRun, runParams, runSchema } from "./runs.js";

/**
 * The image catalog and provenance (arvados, wfexs): a group's images by digest or
 * name, the executions that used one, the chain from a run's results to the commits
 * its images were built from, and marking an image bad and running again what it made.
 * And shares: an image a group made runs in another group's tasks only once an admin of
 * the group shares it with that group (images/image-access.ts).
 */

const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be an image digest: sha256: and 64 hex digits");
const imageParams = z.strictObject({ group_id: groupIdSchema, digest: digestSchema });
const isoTime = z.string().describe("ISO 8601 time");

const recipeSchema = z.object({
  source: z.enum(["git", "mercurial", "inline", "pull"]),
  git_url: z.string().nullable(),
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  sub_path: z.string().nullable(),
  dockerfile: z.string().nullable(),
  dockerfile_sha256: z.string().nullable(),
  build_args: z.record(z.string(), z.string()),
  pulled_from: z.string().nullable(),
});

export const imageSchema = named(
  "Image",
  z.object({
    digest: z.string().describe("the image id: sha256 of its configuration"),
    names: z.array(z.string()).describe("repository:tag names and repository@sha256 registry digests"),
    origin: z.enum(["built", "pulled", "loaded", "seen"]),
    created_at: isoTime,
    recorded_at: isoTime,
    architecture: z.string().nullable(),
    os: z.string().nullable(),
    size: z.number().int().nullable(),
    builder: z.string().nullable(),
    engine: z.string().nullable().describe("the engine that built or pulled it, with its version"),
    recipe: recipeSchema.nullable(),
    run_uuid: z.string().nullable().describe("the run that built or pulled it"),
    task_id: z.string().nullable(),
    bad: z.object({ reason: z.string(), marked_at: isoTime, marked_by: z.string() }).nullable(),
    owned: z.boolean().describe("the group made it: other groups' tasks run it only once an admin shares it"),
  }),
);

const useSchema = z.object({
  run_uuid: z.string(),
  pipeline_id: z.string(),
  run_status: z.string(),
  task_id: z.string(),
  execution_uuid: z.string(),
  attempt: z.number().int(),
  status: z.string(),
  started_at: isoTime.nullable(),
});

const provenanceSchema = named(
  "RunProvenance",
  z.object({
    run: runSchema,
    tasks: z.array(
      z.object({
        task_id: z.string(),
        execution_uuid: z.string().nullable(),
        status: z.string().nullable(),
        outputs: z.record(z.string(), z.string()),
        image: imageSchema.nullable(),
        image_digest: z.string().nullable(),
      }),
    ),
    superseded_by: z.array(z.string()).describe("runs made again from this one because an image was marked bad"),
    supersedes: z.array(z.string()),
  }),
);

const shareSchema = named(
  "ImageShare",
  z.object({
    group_id: z.string().describe("the group that made the image"),
    digest: z.string(),
    shared_with: z.string().describe("the group whose tasks may run it"),
    shared_by: z.string().describe("the admin who shared it"),
    shared_at: isoTime,
  }),
);

const rerunBody = z.union(
  [z.strictObject({ image: z.string().min(1, "must be an image reference") }), z.strictObject({ rebuild: z.literal(true) })],
  { error: () => 'expected {"image": "REPOSITORY:TAG"} (a replacement image) or {"rebuild": true} (build again from the latest commit)' },
);

export function imageRoutes(app: ApiApp, ctx: ApiContext): void {
  const images = ctx.store.images;

  app.get(
    "/groups/:group_id/images",
    {
      schema: {
        summary: "The group's image catalog, newest first",
        params: z.strictObject({ group_id: groupIdSchema }),
        querystring: z.strictObject({
          name: z.string().min(1).optional().describe("repository:tag (latest when no tag) or repository@sha256:…"),
          git_url: z.string().min(1).optional(),
          commit: z.string().regex(/^[0-9a-f]{7,64}$/, "must be a commit sha, or at least its first 7 hex digits").optional(),
          bad: z.enum(["true"]).optional().describe("only images marked bad"),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: envelopeSchema(z.array(imageSchema)) },
      },
    },
    async (request) => {
      const access = await accessGroup(ctx.store.service, principalOf(request), request.params.group_id);
      const q = request.query;
      const list = await images.listImages(access.group.id, {
        ...(q.name ? { name: q.name } : {}),
        ...(q.git_url ? { gitUrl: q.git_url } : {}),
        ...(q.commit ? { gitCommit: q.commit } : {}),
        ...(q.bad ? { badOnly: true } : {}),
        limit: q.limit,
      });
      return ok(list.map(presentImage));
    },
  );

  app.get(
    "/groups/:group_id/images/resolve",
    {
      schema: {
        summary: "The image a spec names: a digest, or repository:tag (the newest such image)",
        params: z.strictObject({ group_id: groupIdSchema }),
        querystring: z.strictObject({ ref: z.string().min(1, "must be a digest or repository:tag") }),
        response: { 200: envelopeSchema(imageSchema) },
      },
    },
    async (request) => {
      const access = await accessGroup(ctx.store.service, principalOf(request), request.params.group_id);
      const image = await images.resolveImage(access.group.id, request.query.ref);
      if (!image) throw new NotFoundError("image", request.query.ref);
      return ok(presentImage(image));
    },
  );

  app.get(
    "/groups/:group_id/images/shared",
    {
      schema: {
        summary: "Images other groups shared with this group, newest share first: its tasks may run them by name or digest",
        params: z.strictObject({ group_id: groupIdSchema }),
        response: { 200: envelopeSchema(z.array(shareSchema.extend({ image: imageSchema.nullable() }))) },
      },
    },
    async (request) => {
      const access = await accessGroup(ctx.store.service, principalOf(request), request.params.group_id);
      const shares = await images.listSharedWith(access.group.id);
      const answer = [];
      for (const share of shares) {
        const image = await images.getImage(share.groupId, share.digest);
        answer.push({ ...presentShare(share), image: image ? presentImage(image) : null });
      }
      return ok(answer);
    },
  );

  app.get(
    "/groups/:group_id/images/:digest/shares",
    { schema: { summary: "The groups this group's image is shared with", params: imageParams, response: { 200: envelopeSchema(z.array(shareSchema)) } } },
    async (request) => {
      const access = await accessGroup(ctx.store.service, principalOf(request), request.params.group_id);
      return ok((await images.listShares(access.group.id, request.params.digest)).map(presentShare));
    },
  );

  app.post(
    "/groups/:group_id/images/:digest/shares",
    {
      schema: {
        summary: "Share an image this group built or pulled with another group (admins): that group's tasks may then run it",
        params: imageParams,
        body: z.strictObject({ group_id: groupIdSchema.describe("the group to share the image with") }),
        response: { 201: envelopeSchema(shareSchema) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot share images");
      const access = await accessGroup(ctx.store.service, principal, request.params.group_id, "admin");
      const target = request.body.group_id;
      if (target === access.group.id) throw new ValidationError("image share", [{ path: "group_id", message: "is the image's own group, which may run it already" }]);
      if (!(await ctx.store.service.getGroup(target))) throw new NotFoundError("group", target);
      const share: ImageShare = { groupId: access.group.id, digest: request.params.digest, sharedWith: target, sharedBy: principal.login, createdAt: Date.now() };
      await images.shareImage(share);
      return reply.status(201).send(ok(presentShare(share), `Image shared with group '${target}'`, 201));
    },
  );

  app.delete(
    "/groups/:group_id/images/:digest/shares/:shared_with",
    {
      schema: {
        summary: "Stop sharing an image with a group (admins): that group's tasks can no longer start with it",
        params: imageParams.extend({ shared_with: idSchema }),
        response: { 200: envelopeSchema(z.null()) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot unshare images");
      const access = await accessGroup(ctx.store.service, principal, request.params.group_id, "admin");
      const removed = await images.unshareImage(access.group.id, request.params.digest, request.params.shared_with);
      if (!removed) throw new NotFoundError("image share", `${request.params.digest} with ${request.params.shared_with}`);
      return ok(null, "Image no longer shared");
    },
  );

  app.get(
    "/groups/:group_id/images/:digest",
    { schema: { summary: "One image of the catalog, with the task executions that used it", params: imageParams, response: { 200: envelopeSchema(imageSchema.extend({ uses: z.array(useSchema) })) } } },
    async (request) => {
      const access = await accessGroup(ctx.store.service, principalOf(request), request.params.group_id);
      const image = await images.getImage(access.group.id, request.params.digest);
      if (!image) throw new NotFoundError("image", request.params.digest);
      return ok({ ...presentImage(image), uses: (await images.listUses(access.group.id, image.digest)).map(presentUse) });
    },
  );

  app.post(
    "/groups/:group_id/images/:digest/bad",
    {
      schema: {
        summary: "Mark an image bad; answers the runs and executions it was used in",
        params: imageParams,
        body: z.strictObject({ reason: z.string().min(1, "must say why").max(2000) }),
        response: { 200: envelopeSchema(z.object({ image: imageSchema, uses: z.array(useSchema) })) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot mark images");
      const access = await accessGroup(ctx.store.service, principal, request.params.group_id, "admin");
      await images.markBad(access.group.id, request.params.digest, { reason: request.body.reason, at: Date.now(), by: principal.login });
      const image = (await images.getImage(access.group.id, request.params.digest))!;
      return ok({ image: presentImage(image), uses: (await images.listUses(access.group.id, image.digest)).map(presentUse) }, "Image marked bad");
    },
  );

  app.post(
    "/groups/:group_id/images/:digest/rerun",
    {
      schema: {
        summary: "Run again every run that used the image, with a replacement image or rebuilding from the latest commit; the new runs supersede the old",
        params: imageParams,
        body: rerunBody,
        response: { 201: envelopeSchema(z.array(z.object({ supersedes: z.string(), run: runSchema, changes: z.array(z.string()) }))) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot start runs");
      const access = await accessGroup(ctx.store.service, principal, request.params.group_id, "admin");
      const image = await images.getImage(access.group.id, request.params.digest);
      if (!image) throw new NotFoundError("image", request.params.digest);
      const byRun = new Map<string, Set<string>>();
      for (const use of await images.listUses(access.group.id, image.digest)) byRun.set(use.runUuid, (byRun.get(use.runUuid) ?? new Set()).add(use.taskId));
      if (byRun.size === 0) throw new ValidationError("rerun", [{ path: "digest", message: `no run of group '${access.group.id}' used image ${image.digest}` }]);
      const replacement: Replacement = "image" in request.body ? { image: request.body.image } : { rebuild: true };
      // Every plan first, so one impossible rerun starts none of them.
      const plans = [];
      for (const [runUuid, taskIds] of byRun) {
        const run = (await ctx.store.getRun(runUuid as RunId))!;
        plans.push({ run, plan: planRerun(run.pipeline as Pipeline, taskIds, replacement) });
      }
      const started = [];
      for (const { run, plan } of plans) {
        const definedBy = run.definedBy ?? run.startedBy ?? undefined; // the frozen code is still its author's
        const rerun = await ctx.engine.startRun({ pipeline: plan.pipeline, params: run.params, directives: run.directives, groupId: access.group.id, startedBy: principal.login, ...(definedBy !== undefined ? { definedBy } : {}) });
        await images.recordSupersession({ oldRunUuid: run.uuid, newRunUuid: rerun.uuid, imageDigest: image.digest, reason: image.bad?.reason ?? "rerun", createdAt: Date.now() });
        started.push({ supersedes: run.uuid, run: presentRun(access, rerun), changes: plan.changes });
      }
      return reply.status(201).send(ok(started, `${started.length} run(s) started`, 201));
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/provenance",
    { schema: { summary: "For each task of a run: its latest execution, outputs, the exact image it ran or built, and that image's recipe and commit", params: runParams, response: { 200: envelopeSchema(provenanceSchema) } } },
    async (request) => {
      const { access, run } = await loadRun(ctx, principalOf(request), request.params);
      const executions = await ctx.store.listExecutions(run.uuid);
      const latest = new Map<string, (typeof executions)[number]>();
      for (const e of executions) if ((latest.get(e.taskId)?.attempt ?? 0) < e.attempt) latest.set(e.taskId, e);
      const pipeline = run.pipeline as Pipeline;
      const tasks = [];
      for (const task of pipeline.tasks) {
        const e = latest.get(task.id);
        const digest = e?.imageDigest ?? null;
        const image = digest ? await images.getImage(access.group.id, digest) : undefined;
        tasks.push({ task_id: task.id, execution_uuid: e?.uuid ?? null, status: e?.status ?? null, outputs: e?.outputs ?? {}, image: image ? presentImage(image) : null, image_digest: digest });
      }
      const supersessions = await images.listSupersessions(run.uuid);
      return ok({
        run: presentRun(access, run),
        tasks,
        superseded_by: supersessions.filter((s) => s.oldRunUuid === run.uuid).map((s) => s.newRunUuid),
        supersedes: supersessions.filter((s) => s.newRunUuid === run.uuid).map((s) => s.oldRunUuid),
      });
    },
  );
}

export function presentImage(i: ImageRecord): z.infer<typeof imageSchema> {
  const r = i.recipe;
  return {
    digest: i.digest,
    names: i.names,
    origin: i.origin,
    created_at: new Date(i.createdAt).toISOString(),
    recorded_at: new Date(i.recordedAt).toISOString(),
    architecture: i.architecture,
    os: i.os,
    size: i.sizeBytes,
    builder: i.builder,
    engine: i.engine,
    recipe: r
      ? {
          source: r.source,
          git_url: r.gitUrl ?? null,
          branch: r.branch ?? null,
          commit: r.commit ?? null,
          sub_path: r.subPath ?? null,
          dockerfile: r.dockerfile ?? null,
          dockerfile_sha256: r.dockerfileSha256 ?? null,
          build_args: r.buildArgs ?? {},
          pulled_from: r.pulledFrom ?? null,
        }
      : null,
    run_uuid: i.runUuid,
    task_id: i.taskId,
    bad: i.bad ? { reason: i.bad.reason, marked_at: new Date(i.bad.at).toISOString(), marked_by: i.bad.by } : null,
    owned: i.owned,
  };
}

function presentShare(s: ImageShare): z.infer<typeof shareSchema> {
  return { group_id: s.groupId, digest: s.digest, shared_with: s.sharedWith, shared_by: s.sharedBy, shared_at: new Date(s.createdAt).toISOString() };
}

function presentUse(u: ImageUse): z.infer<typeof useSchema> {
  return {
    run_uuid: u.runUuid,
    pipeline_id: u.pipelineId,
    run_status: u.runStatus,
    task_id: u.taskId,
    execution_uuid: u.executionUuid,
    attempt: u.attempt,
    status: u.status,
    started_at: u.startedAt === null ? null : new Date(u.startedAt).toISOString(),
  };
}
