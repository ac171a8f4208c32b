import { randomBytes, randomUUID } from "node:crypto";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { CairnError, NotFoundError, type ErrorCode } from "../../errors.js";
import type { PipelineRecord } from "../../store/service-store.js";
import type { WebhookRecord } from "../../store/webhook-store.js";
import { branchPatternProblem } from "../../triggers/branch-glob.js";
import { receiveDelivery } from "../../triggers/webhook-receiver.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import type { GroupAccess } from "../group-access.js";
import { principalOf, type Principal } from "../principal.js";
import { identityBinding } from "./identities.js";
import { groupIdSchema, idSchema } from "./groups.js";
import { loadPipeline } from "./pipelines.js";

/**
 * Git webhooks (issue 17): a pipeline's owner or a group admin makes one, any member reads
 * them and their deliveries, and the git host posts to `POST /v3/workflows/webhooks/{uuid}`
 * with no token: the signature made with the webhook's secret authenticates the delivery,
 * and the pusher's identity decides as whom the run starts (triggers/webhook-receiver.ts).
 */

/** A delivery's body is at most this: GitHub caps its payloads at 25 MB, but a push's is far smaller. */
export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

const pipelineParams = z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema });
const webhookParams = pipelineParams.extend({ webhook_uuid: z.uuid() });

const webhookBody = z.strictObject({
  type: z.enum(["github", "gitlab", "gitea", "generic"]),
  secret: z.string().min(16, "must be at least 16 characters (leave it out and Cairn makes one)").max(256).optional(),
  branches: z
    .array(z.string().superRefine((p, ctx) => {
      const problem = branchPatternProblem(p);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }))
    .max(100)
    .default([])
    .describe("glob patterns of branch names (* ** ?); empty: every branch"),
  events: z.array(z.enum(["push", "tag_push"])).min(1).max(2).default(["push"]),
});

const webhookSchema = named(
  "Webhook",
  z.object({
    uuid: z.string(),
    type: z.string(),
    url: z.string().describe("where the git host posts deliveries; needs no token"),
    branches: z.array(z.string()),
    events: z.array(z.string()),
    created_by: z.string(),
    created_at: z.string(),
  }),
);
const createdWebhookSchema = webhookSchema.extend({ secret: z.string().describe("shown this once") });
const deliverySchema = named(
  "WebhookDelivery",
  z.object({
    received_at: z.string(),
    delivery_id: z.string().nullable(),
    event: z.string().nullable(),
    status: z.number().int(),
    reason: z.string(),
    run_uuid: z.string().nullable(),
  }),
);

export async function webhookRoutes(app: ApiApp, ctx: ApiContext): Promise<void> {
  await webhookReceiverRoutes(app, ctx);
  const service = ctx.store.service;
  const webhooks = ctx.store.webhooks;
  const urlOf = (base: string, uuid: string) => `${base}/webhooks/${uuid}`;
  /** `http(s)://host/v3/workflows` as the caller reached this server. */
  const baseOf = (request: { protocol: string; host: string; url: string }) => `${request.protocol}://${request.host}${request.url.replace(/\/groups\/.*$/, "")}`;

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/webhooks",
    { schema: { summary: "Make a webhook that starts the pipeline on a git push (the pipeline's owner or a group admin); the secret is shown once", params: pipelineParams, body: webhookBody, response: { 201: envelopeSchema(createdWebhookSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      requirePipelineAdmin(principal, access, record);
      const body = request.body;
      const uuid = randomUUID();
      const secret = body.secret ?? randomBytes(32).toString("base64url");
      const webhook: WebhookRecord = {
        uuid,
        pipelineUuid: record.uuid,
        groupId: access.group.id,
        pipelineId: record.id,
        type: body.type,
        sealedSecret: ctx.sealer.seal(secret, webhookBinding(uuid)),
        branches: [...new Set(body.branches)],
        events: [...new Set(body.events)],
        createdBy: principal.login,
        createdAt: Date.now(),
      };
      await webhooks.createWebhook(webhook);
      return reply.status(201).send(ok({ ...present(webhook, urlOf(baseOf(request), uuid)), secret }, "Webhook created: keep its secret, it is not shown again", 201));
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/webhooks",
    { schema: { summary: "The pipeline's webhooks, without their secrets", params: pipelineParams, response: { 200: envelopeSchema(z.array(webhookSchema)) } } },
    async (request) => {
      const { access, record } = await loadPipeline(service, principalOf(request), request.params);
      const base = baseOf(request);
      return ok((await webhooks.listWebhooks(access.group.id, record.id)).map((w) => present(w, urlOf(base, w.uuid))));
    },
  );

  app.delete(
    "/groups/:group_id/pipelines/:pipeline_id/webhooks/:webhook_uuid",
    { schema: { summary: "Remove a webhook (the pipeline's owner or a group admin)", params: webhookParams } },
    async (request) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      requirePipelineAdmin(principal, access, record);
      await webhooks.deleteWebhook(access.group.id, record.id, request.params.webhook_uuid);
      return ok(null, "Webhook deleted");
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/webhooks/:webhook_uuid/deliveries",
    { schema: { summary: "The webhook's last 100 deliveries, newest first: their answer, its reason and the run each started", params: webhookParams, response: { 200: envelopeSchema(z.array(deliverySchema)) } } },
    async (request) => {
      const { access, record } = await loadPipeline(service, principalOf(request), request.params);
      const webhook = await webhooks.getWebhook(request.params.webhook_uuid);
      if (!webhook || webhook.groupId !== access.group.id || webhook.pipelineId !== record.id) throw new NotFoundError("webhook", request.params.webhook_uuid);
      return ok(
        (await webhooks.listDeliveries(webhook.uuid)).map((d) => ({
          received_at: new Date(d.receivedAt).toISOString(),
          delivery_id: d.deliveryId,
          event: d.event,
          status: d.status,
          reason: d.reason,
          run_uuid: d.runUuid,
        })),
      );
    },
  );
}

/**
 * The receiving end, in a plugin scope of its own: its body stays the raw bytes (the
 * HMAC is over exactly what was sent), whatever parsers the rest of the API uses.
 */
async function webhookReceiverRoutes(app: ApiApp, ctx: ApiContext): Promise<void> {
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scope.post(
      "/webhooks/:webhook_uuid",
      {
        bodyLimit: WEBHOOK_BODY_LIMIT_BYTES,
        // No token is needed, and one sent is not looked at: the signature authenticates.
        config: { runToken: "allow" },
        schema: {
          summary: "Where a git host delivers a webhook's events: no token, the signature made with the webhook's secret authenticates",
          description:
            "GitHub's X-Hub-Signature-256, Gitea's X-Gitea-Signature, GitLab's X-Gitlab-Token, or X-Cairn-Signature-256 (sha256=<hex HMAC-SHA256 of the body>) for a generic webhook. " +
            "201: a run started; 200: a ping, or a delivery id seen before (the answer names its run); 202: nothing to do (another branch or event); 401: a missing or bad signature; 403: the pusher maps to no member; 413: a body over 1 MiB.",
          params: z.strictObject({ webhook_uuid: z.uuid() }),
          security: [],
          response: { "2xx": envelopeSchema(z.object({ run_uuid: z.string().nullable() })) },
        },
      },
      async (request, reply) => {
        const webhook = await ctx.store.webhooks.getWebhook(request.params.webhook_uuid);
        if (!webhook) throw new NotFoundError("webhook", request.params.webhook_uuid);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const reception = await receiveDelivery(
          {
            store: ctx.store,
            engine: ctx.engine,
            secretOf: (w) => ctx.sealer.open(w.sealedSecret, webhookBinding(w.uuid)),
            credentialsOf: (identity) => JSON.parse(ctx.sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as Record<string, string>,
            now: Date.now,
          },
          webhook,
          request.headers,
          raw,
        );
        // Refusals as errors, so they get the error envelope with the status of their code.
        if (reception.status >= 400) throw new CairnError(codeOf(reception.status), reception.reason);
        return reply.status(reception.status).send(ok({ run_uuid: reception.runUuid }, reception.reason, reception.status));
      },
    );
  });
}

function codeOf(status: number): ErrorCode {
  const codes: Record<number, ErrorCode> = { 400: "invalid_input", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict" };
  return codes[status] ?? "internal";
}

/** Ties the sealed secret to its webhook, so a ciphertext copied to another row does not open. */
export function webhookBinding(uuid: string): string {
  return `webhook:${uuid}`;
}

export function requirePipelineAdmin(principal: Principal, access: GroupAccess, record: PipelineRecord): void {
  if (record.owner === principal.login || access.member.role !== "member") return;
  throw new CairnError("forbidden", `only the pipeline's owner ('${record.owner}') or a group admin may manage its triggers`);
}

function present(w: WebhookRecord, url: string): z.infer<typeof webhookSchema> {
  return { uuid: w.uuid, type: w.type, url, branches: w.branches, events: w.events, created_by: w.createdBy, created_at: new Date(w.createdAt).toISOString() };
}
