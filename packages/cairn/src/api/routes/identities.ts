import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CairnError, NotFoundError } from "../../errors.js";
import type { IdentityRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { ok } from "../envelope.js";
import { principalOf } from "../principal.js";

/**
 * Identities: a user's credentials for a git host or an image registry, used by tasks
 * that clone or push on the user's behalf, an SSH login that `ssh` systems archive with,
 * or the access keys of an S3 bucket for `s3` systems. Sealed at rest; never returned once
 * stored.
 */

const secretText = z.string().min(1).max(4096);
const name = z.string().min(1).max(128);
const description = z.string().max(1024).optional();
const host = z.string().min(1).max(255).regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must be a host name, optionally with :port");
/** An OpenSSH or PEM private key, as `ssh-keygen` writes it (unencrypted). */
const privateKey = z.string().min(1).max(16_384).regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "must be a private key in OpenSSH or PEM form");
const token = z.union([z.strictObject({ username: secretText, token: secretText }), z.strictObject({ username: secretText, password: secretText })]);

const identityBody = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("github"), name, description, credentials: z.strictObject({ username: secretText, personal_access_token: secretText }) }),
  // GitLab and Gitea users: their username maps a push to its member (triggers/identity-mapping.ts).
  z.strictObject({ type: z.literal("gitlab"), name, description, host: host.optional(), credentials: z.strictObject({ username: secretText, token: secretText }) }),
  z.strictObject({ type: z.literal("gitea"), name, description, host, credentials: z.strictObject({ username: secretText, token: secretText }) }),
  z.strictObject({ type: z.literal("dockerhub"), name, description, credentials: z.strictObject({ username: secretText, token: secretText }) }),
  z.strictObject({ type: z.literal("git"), name, description, host, credentials: token }),
  z.strictObject({ type: z.literal("registry"), name, description, host, credentials: token }),
  z.strictObject({ type: z.literal("ssh"), name, description, credentials: z.union([z.strictObject({ username: secretText, private_key: privateKey }), z.strictObject({ username: secretText, password: secretText })]) }),
  z.strictObject({ type: z.literal("s3"), name, description, credentials: z.strictObject({ access_key_id: z.string().min(1).max(256), secret_access_key: secretText }) }),
]);

const identityView = z.object({
  uuid: z.string(),
  type: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  host: z.string().nullable(),
  owner: z.string(),
  created_at: z.string(),
});

export function identityRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  app.post("/identities", { schema: { summary: "Store credentials for a git host, a registry, an SSH login or S3 access keys (never returned again)", body: identityBody } }, async (request, reply) => {
    const principal = principalOf(request);
    if (principal.scope) throw new CairnError("forbidden", "a run's token cannot create identities");
    const body = request.body;
    const uuid = randomUUID();
    const record: IdentityRecord = {
      uuid,
      owner: principal.login,
      type: body.type,
      name: body.name,
      description: body.description ?? null,
      host: "host" in body && body.host !== undefined ? body.host : defaultHost(body.type),
      sealedCredentials: ctx.sealer.seal(JSON.stringify(body.credentials), identityBinding(uuid)),
      createdAt: Date.now(),
    };
    await service.createIdentity(record);
    return reply.status(201).send(ok(present(record), "Identity created", 201));
  });

  app.get("/identities", { schema: { summary: "The caller's identities, without credentials" } }, async (request) => {
    const principal = principalOf(request);
    return ok((await service.listIdentities(principal.login)).map(present));
  });

  app.get("/identities/:identity_uuid", { schema: { params: z.strictObject({ identity_uuid: z.uuid() }), response: { 200: z.object({ success: z.boolean(), status: z.number(), message: z.string(), result: identityView }) } } }, async (request) => {
    return ok(present(await ownIdentity(ctx, principalOf(request).login, request.params.identity_uuid)));
  });

  app.delete("/identities/:identity_uuid", { schema: { params: z.strictObject({ identity_uuid: z.uuid() }) } }, async (request) => {
    const identity = await ownIdentity(ctx, principalOf(request).login, request.params.identity_uuid);
    await service.deleteIdentity(identity.uuid);
    return ok(null, "Identity deleted");
  });
}

function defaultHost(type: string): string | null {
  return ({ github: "github.com", gitlab: "gitlab.com", dockerhub: "docker.io" } as Record<string, string>)[type] ?? null;
}

/** Another user's identity is "not found", like one that does not exist. */
async function ownIdentity(ctx: ApiContext, login: string, uuid: string): Promise<IdentityRecord> {
  const identity = await ctx.store.service.getIdentity(uuid);
  if (!identity || identity.owner !== login) throw new NotFoundError("identity", uuid);
  return identity;
}

/** Ties a sealed value to its row, so a ciphertext copied to another identity does not open. */
export function identityBinding(uuid: string): string {
  return `identity:${uuid}`;
}

function present(i: IdentityRecord): z.infer<typeof identityView> {
  return { uuid: i.uuid, type: i.type, name: i.name, description: i.description, host: i.host, owner: i.owner, created_at: new Date(i.createdAt).toISOString() };
}
