import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CairnError, NotFoundError } from "../../errors.js";
import type { SchedulePatch, ScheduleRecord } from "../../store/schedule-store.js";
import { cronProblem, nextFireTime, nextFireTimes, timezoneProblem } from "../../triggers/cron-times.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { principalOf } from "../principal.js";
import { groupIdSchema, idSchema } from "./groups.js";
import { loadPipeline } from "./pipelines.js";

/**
 * Cron schedules of a pipeline (issue 17). Any member may schedule a pipeline: each fire
 * starts a run as them (triggers/scheduler.ts), as an event they sent would. Only the
 * creator changes a schedule, since its runs are theirs; the creator or a group admin
 * deletes it.
 */

const pipelineParams = z.strictObject({ group_id: groupIdSchema, pipeline_id: idSchema });
const scheduleParams = pipelineParams.extend({ schedule_uuid: z.uuid() });

const cron = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `must be a cron expression of 5 fields, or 6 with seconds first: ${problem}` });
  });
const timezone = z
  .string()
  .max(100)
  .superRefine((value, ctx) => {
    const problem = timezoneProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
const params = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a letter or _ followed by letters, digits or _"), z.union([z.string().max(10_000), z.number(), z.boolean()]));

const scheduleBody = z.strictObject({
  cron,
  timezone: timezone.default("UTC"),
  params: params.default({}),
  enabled: z.boolean().default(true),
  catch_up: z.boolean().default(false).describe("after a time with no Cairn process, fire the most recent missed time once"),
});
const schedulePatchBody = z.strictObject({ cron: cron.optional(), timezone: timezone.optional(), params: params.optional(), enabled: z.boolean().optional(), catch_up: z.boolean().optional() });

const scheduleSchema = named(
  "Schedule",
  z.object({
    uuid: z.string(),
    cron: z.string(),
    timezone: z.string(),
    params: z.record(z.string(), z.string()),
    enabled: z.boolean(),
    catch_up: z.boolean(),
    created_by: z.string().describe("the user each fire starts a run as"),
    created_at: z.string(),
    updated_at: z.string(),
    next_fire_times: z.array(z.string()).describe("the next five fires; empty when disabled"),
    last_fired_at: z.string().nullable(),
    last_run_uuid: z.string().nullable(),
    last_outcome: z.string().nullable().describe("what the last fire came to: the run it started, or why none"),
  }),
);

export function scheduleRoutes(app: ApiApp, ctx: ApiContext): void {
  const service = ctx.store.service;
  const schedules = ctx.store.schedules;

  app.post(
    "/groups/:group_id/pipelines/:pipeline_id/schedules",
    { schema: { summary: "Start the pipeline on a cron schedule, as the caller", params: pipelineParams, body: scheduleBody, response: { 201: envelopeSchema(scheduleSchema) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { access, record } = await loadPipeline(service, principal, request.params);
      const body = request.body;
      const now = Date.now();
      const schedule: ScheduleRecord = {
        uuid: randomUUID(),
        pipelineUuid: record.uuid,
        groupId: access.group.id,
        pipelineId: record.id,
        cron: body.cron,
        timezone: body.timezone,
        params: stringParams(body.params),
        enabled: body.enabled,
        catchUp: body.catch_up,
        createdBy: principal.login,
        createdAt: now,
        updatedAt: now,
        nextRunAt: body.enabled ? nextFireTime({ cron: body.cron, timezone: body.timezone }, now) : null,
        lastFiredAt: null,
        lastRunUuid: null,
        lastOutcome: null,
      };
      await schedules.createSchedule(schedule);
      return reply.status(201).send(ok(present(schedule, now), "Schedule created", 201));
    },
  );

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/schedules",
    { schema: { summary: "The pipeline's schedules, each with its next five fires", params: pipelineParams, response: { 200: envelopeSchema(z.array(scheduleSchema)) } } },
    async (request) => {
      const { access, record } = await loadPipeline(service, principalOf(request), request.params);
      const now = Date.now();
      return ok((await schedules.listSchedules(access.group.id, record.id)).map((s) => present(s, now)));
    },
  );

  const loadSchedule = async (request: { params: z.infer<typeof scheduleParams> }, login: ReturnType<typeof principalOf>) => {
    const { access, record } = await loadPipeline(service, login, request.params);
    const schedule = await schedules.getSchedule(request.params.schedule_uuid);
    if (!schedule || schedule.groupId !== access.group.id || schedule.pipelineId !== record.id) throw new NotFoundError("schedule", request.params.schedule_uuid);
    return { access, schedule };
  };

  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/schedules/:schedule_uuid",
    { schema: { summary: "A schedule with its next five fires and its last outcome", params: scheduleParams, response: { 200: envelopeSchema(scheduleSchema) } } },
    async (request) => {
      const { schedule } = await loadSchedule(request, principalOf(request));
      return ok(present(schedule, Date.now()));
    },
  );

  app.patch(
    "/groups/:group_id/pipelines/:pipeline_id/schedules/:schedule_uuid",
    { schema: { summary: "Change a schedule (its creator only: its runs are theirs)", params: scheduleParams, body: schedulePatchBody, response: { 200: envelopeSchema(scheduleSchema) } } },
    async (request) => {
      const principal = principalOf(request);
      const { schedule } = await loadSchedule(request, principal);
      if (schedule.createdBy !== principal.login) throw new CairnError("forbidden", `only the schedule's creator ('${schedule.createdBy}') may change it: its runs start as them`);
      const body = request.body;
      const now = Date.now();
      const merged = {
        cron: body.cron ?? schedule.cron,
        timezone: body.timezone ?? schedule.timezone,
        enabled: body.enabled ?? schedule.enabled,
      };
      const patch: SchedulePatch = {
        ...merged,
        ...(body.params !== undefined ? { params: stringParams(body.params) } : {}),
        ...(body.catch_up !== undefined ? { catchUp: body.catch_up } : {}),
        // The next fire from now, by the schedule as it now reads.
        nextRunAt: merged.enabled ? nextFireTime(merged, now) : null,
        updatedAt: now,
      };
      await schedules.updateSchedule(schedule.groupId, schedule.pipelineId, schedule.uuid, patch);
      return ok(present({ ...schedule, ...patch } as ScheduleRecord, now), "Schedule changed");
    },
  );

  app.delete(
    "/groups/:group_id/pipelines/:pipeline_id/schedules/:schedule_uuid",
    { schema: { summary: "Remove a schedule (its creator or a group admin)", params: scheduleParams } },
    async (request) => {
      const principal = principalOf(request);
      const { access, schedule } = await loadSchedule(request, principal);
      if (schedule.createdBy !== principal.login && access.member.role === "member") {
        throw new CairnError("forbidden", `only the schedule's creator ('${schedule.createdBy}') or a group admin may remove it`);
      }
      await schedules.deleteSchedule(schedule.groupId, schedule.pipelineId, schedule.uuid);
      return ok(null, "Schedule deleted");
    },
  );
}

function stringParams(given: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(given).map(([k, v]) => [k, String(v)]));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function present(s: ScheduleRecord, now: number): z.infer<typeof scheduleSchema> {
  return {
    uuid: s.uuid,
    cron: s.cron,
    timezone: s.timezone,
    params: s.params,
    enabled: s.enabled,
    catch_up: s.catchUp,
    created_by: s.createdBy,
    created_at: new Date(s.createdAt).toISOString(),
    updated_at: new Date(s.updatedAt).toISOString(),
    next_fire_times: s.enabled ? nextFireTimes({ cron: s.cron, timezone: s.timezone }, now, 5).map((t) => new Date(t).toISOString()) : [],
    last_fired_at: iso(s.lastFiredAt),
    last_run_uuid: s.lastRunUuid,
    last_outcome: s.lastOutcome,
  };
}
