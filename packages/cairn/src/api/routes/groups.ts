import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CairnError, NotFoundError } from "../../errors.js";
import { removeRunResults } from "../../workspace/result-files.js";
import { ID_PATTERN, ID_RULE } from "../../spec/schema.js";
import type { GroupRecord, MemberRecord } from "../../store/service-store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, ok } from "../envelope.js";
import { accessGroup } from "../group-access.js";
import { refusePersonalGroupMembers } from "../personal-group.js";
import { principalOf } from "../principal.js";

/** Groups and their users, as tapis-workflows.txt describes them. */

export const idSchema = z.string().min(1).max(128).regex(ID_PATTERN, ID_RULE);
/** A group in a path: an id, or `~LOGIN`, a user's personal group (api/personal-group.ts). */
export const groupIdSchema = z
  .string()
  .min(1)
  .max(129)
  .regex(/^~?[A-Za-z0-9][A-Za-z0-9._-]*$/, `${ID_RULE}; or ~LOGIN, a user's personal group`);
const usernameSchema = z.string().min(1).max(128).regex(ID_PATTERN, ID_RULE);

const groupUserSchema = z.object({ group: z.string(), username: z.string(), is_admin: z.boolean(), uuid: z.string() });
const groupSchema = z.object({
  id: z.string(),
  owner: z.string(),
  tenant_id: z.string(),
  uuid: z.string(),
  users: z.array(groupUserSchema),
  /** Cairn extension (issue 17): the cap on the running tasks of all the group's runs at once; null for none. */
  max_parallel_tasks: z.number().int().nullable(),
});
/** A group's settings a group admin changes. */
const groupPatchSchema = z.strictObject({
  max_parallel_tasks: z
    .number({ error: "must be a whole number of tasks from 1 to 100000, or null for no cap" })
    .int("must be a whole number of tasks from 1 to 100000, or null for no cap")
    .min(1, "must be 1 or more (null removes the cap)")
    .max(100_000, "must be at most 100000")
    .nullable(),
});
const newUserSchema = z.strictObject({ username: usernameSchema, is_admin: z.boolean().default(false) });

export const groupParams = z.strictObject({ group_id: groupIdSchema });
const userParams = z.strictObject({ group_id: groupIdSchema, username: usernameSchema });

/** Cairn has one tenant; the field is kept so Tapis clients find it. */
export const TENANT_ID = "cairn";

export function groupRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;

  const present = async (group: GroupRecord) => ({
    id: group.id,
    owner: group.owner,
    tenant_id: TENANT_ID,
    uuid: group.uuid,
    users: (await service.listMembers(group.id)).map((m) => presentMember(group, m)),
    // A membership read leaves the setting out: read the group's row then.
    max_parallel_tasks: group.maxParallelTasks !== undefined ? group.maxParallelTasks : ((await service.getGroup(group.id))?.maxParallelTasks ?? null),
  });

  app.post(
    "/groups",
    {
      schema: {
        summary: "Create a group; the caller becomes its owner",
        body: z.strictObject({ id: idSchema, users: z.array(newUserSchema).max(1000).default([]) }),
        response: { 201: envelopeSchema(groupSchema) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.scope) throw new CairnError("forbidden", "a run's token cannot create groups");
      const { id, users } = request.body;
      const group: GroupRecord = { id, uuid: randomUUID(), owner: principal.login, createdAt: Date.now() };
      const members = new Map<string, MemberRecord>();
      for (const u of users) {
        if (u.username === principal.login) continue; // the owner is added by default
        members.set(u.username, { uuid: randomUUID(), groupId: id, username: u.username, role: u.is_admin ? "admin" : "member" });
      }
      const owner: MemberRecord = { uuid: randomUUID(), groupId: id, username: principal.login, role: "owner" };
      await service.createGroup(group, [owner, ...members.values()]).catch((err: unknown) => {
        throw conflictAs(err, `a group with id '${id}' already exists`);
      });
      return reply.status(201).send(ok(await present(group), "Group created", 201));
    },
  );

  app.get("/groups", { schema: { summary: "The groups the caller is a member of", response: { 200: envelopeSchema(z.array(groupSchema)) } } }, async (request) => {
    const principal = principalOf(request);
    let groups = await service.listGroupsOf(principal.login);
    if (principal.scope) groups = groups.filter((g) => g.id === principal.scope!.groupId);
    return ok(await Promise.all(groups.map(present)));
  });

  app.get("/groups/:group_id", { schema: { params: groupParams, response: { 200: envelopeSchema(groupSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok(await present(group));
  });

  app.patch(
    "/groups/:group_id",
    {
      schema: {
        summary: "Change a group's settings (admins): max_parallel_tasks caps the running tasks of all its runs at once",
        params: groupParams,
        body: groupPatchSchema,
        response: { 200: envelopeSchema(groupSchema) },
      },
    },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "admin");
      const limit = request.body.max_parallel_tasks;
      await service.setGroupMaxParallelTasks(group.id, limit);
      // This process's engine applies it from its next task start; another process's, from the group's next run there.
      ctx.engine.setGroupTaskCap(group.id, limit);
      return ok(await present({ ...group, maxParallelTasks: limit }), "Group updated");
    },
  );

  app.delete("/groups/:group_id", { schema: { summary: "Delete a group and everything it owns (owner only)", params: groupParams } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "owner");
    const runs = await ctx.store.listRuns({ groupId: group.id, statuses: ["pending", "queued", "running"] });
    await Promise.all(runs.map((r) => ctx.engine.cancelRun(r.uuid)));
    await Promise.all(runs.map((r) => ctx.engine.waitForRun(r.uuid)));
    const all = await ctx.store.listRuns({ groupId: group.id });
    const actorExecutions = await ctx.actors.stopGroup(group.id);
    await service.deleteGroup(group.id);
    // Results are kept until their run is deleted, which is now; a failed removal only costs disk.
    for (const r of all) await removeRunResults(ctx.config.dataDir, r.uuid).catch(() => undefined);
    await ctx.actors.removeExecutionFolders(actorExecutions).catch(() => undefined);
    return ok(null, `Group '${group.id}' deleted`);
  });

  app.get("/groups/:group_id/users", { schema: { params: groupParams, response: { 200: envelopeSchema(z.array(groupUserSchema)) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    return ok((await service.listMembers(group.id)).map((m) => presentMember(group, m)));
  });

  app.get("/groups/:group_id/users/:username", { schema: { params: userParams, response: { 200: envelopeSchema(groupUserSchema) } } }, async (request) => {
    const { group } = await accessGroup(service, principalOf(request), request.params.group_id);
    const member = await service.getMember(group.id, request.params.username);
    if (!member) throw new NotFoundError("group user", request.params.username);
    return ok(presentMember(group, member));
  });

  app.post(
    "/groups/:group_id/users",
    { schema: { summary: "Add a user (admins; only the owner adds admins)", params: groupParams, body: newUserSchema, response: { 201: envelopeSchema(groupUserSchema) } } },
    async (request, reply) => {
      const { username, is_admin } = request.body;
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, is_admin ? "owner" : "admin");
      refusePersonalGroupMembers(group.id);
      const member: MemberRecord = { uuid: randomUUID(), groupId: group.id, username, role: is_admin ? "admin" : "member" };
      await service.addMember(member).catch((err: unknown) => {
        throw conflictAs(err, `'${username}' is already a user of group '${group.id}'`);
      });
      return reply.status(201).send(ok(presentMember(group, member), "User added", 201));
    },
  );

  app.patch(
    "/groups/:group_id/users/:username",
    { schema: { summary: "Make a user an admin or not (owner only)", params: userParams, body: z.strictObject({ is_admin: z.boolean() }), response: { 200: envelopeSchema(groupUserSchema) } } },
    async (request) => {
      const { group } = await accessGroup(service, principalOf(request), request.params.group_id, "owner");
      refusePersonalGroupMembers(group.id);
      const target = await service.getMember(group.id, request.params.username);
      if (!target) throw new NotFoundError("group user", request.params.username);
      if (target.role === "owner") throw new CairnError("invalid_input", "the owner's role cannot be changed");
      const role = request.body.is_admin ? "admin" : "member";
      await service.setMemberRole(group.id, target.username, role);
      return ok(presentMember(group, { ...target, role }));
    },
  );

  app.delete("/groups/:group_id/users/:username", { schema: { summary: "Remove a user (admins; only the owner removes admins)", params: userParams } }, async (request) => {
    const principal = principalOf(request);
    const { group } = await accessGroup(service, principal, request.params.group_id, "admin");
    refusePersonalGroupMembers(group.id);
    const target = await service.getMember(group.id, request.params.username);
    if (!target) throw new NotFoundError("group user", request.params.username);
    if (target.role === "owner") throw new CairnError("invalid_input", "the owner cannot be removed from the group; delete the group instead");
    if (target.role === "admin") await accessGroup(service, principal, group.id, "owner");
    await service.removeMember(group.id, target.username);
    return ok(null, `User '${target.username}' removed`);
  });
}

function presentMember(group: GroupRecord, m: MemberRecord) {
  return { group: group.uuid, username: m.username, is_admin: m.role !== "member", uuid: m.uuid };
}

/** A store `conflict` gets a message in the API's terms. */
export function conflictAs(err: unknown, message: string): unknown {
  return (err as { code?: unknown } | null)?.code === "conflict" ? new CairnError("conflict", message, { cause: err }) : err;
}
