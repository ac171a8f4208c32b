import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { ExecutionId } from "../../ids.js";
import { TERMINAL_EXECUTION_STATUSES, type LogLine, type Store } from "../../store/store.js";
import type { ApiApp, ApiContext } from "../api-context.js";
import { envelopeSchema, named, ok } from "../envelope.js";
import { principalOf } from "../principal.js";
import { executionParams, loadExecution } from "./runs.js";

/**
 * One task execution's log, three ways (kabuto-api.txt's incremental polling included):
 * - plain text by default, every line so far;
 * - `?since=ID`: JSON, only lines after that id, each with its id, and whether the log is complete;
 * - `Accept: text/event-stream`: the lines so far, then each new one as it is stored, then an `end` event.
 */

/** How often a live stream looks for new lines. Lines reach the database in batches at about this pace. */
const FOLLOW_INTERVAL_MS = 150;
const PAGE = 5_000;

const logLineSchema = named("LogLine", z.object({ id: z.number().int(), stream: z.enum(["stdout", "stderr", "system"]), ts: z.string(), line: z.string() }));
/** The `?since=ID` answer; the plain-text and event-stream answers are not JSON. */
const logPageSchema = z.object({
  lines: z.array(logLineSchema),
  since: z.number().int().describe("the last id returned: pass it as `since` next time"),
  complete: z.boolean().describe("the execution has ended and every line has been returned"),
});

export function logRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    "/groups/:group_id/pipelines/:pipeline_id/runs/:run_uuid/executions/:execution_uuid/logs",
    {
      config: { runToken: "allow" },
      schema: {
        summary: "A task execution's log: text, incremental JSON with ?since=ID, or live with Accept: text/event-stream",
        params: executionParams,
        querystring: z.strictObject({ since: z.coerce.number().int().min(0).optional() }),
        response: {
          200: {
            description: "The log as text; with ?since=ID as JSON; with Accept: text/event-stream as `line` events then an `end` event",
            content: {
              "text/plain": { schema: z.string() },
              "application/json": { schema: envelopeSchema(logPageSchema) },
              "text/event-stream": { schema: z.string() },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { execution } = await loadExecution(ctx, principalOf(request), request.params);
      const accept = request.headers.accept ?? "";
      if (accept.includes("text/event-stream")) {
        const lastEventId = Number(request.headers["last-event-id"] ?? request.query.since ?? 0);
        await streamLog(ctx.store, execution.uuid, Number.isFinite(lastEventId) ? lastEventId : 0, reply, request.raw);
        return reply;
      }
      if (request.query.since !== undefined) {
        const lines = await ctx.store.readLogs(execution.uuid, { sinceId: request.query.since, limit: PAGE });
        const current = await ctx.store.getExecution(execution.uuid);
        const complete = lines.length < PAGE && current !== undefined && TERMINAL_EXECUTION_STATUSES.includes(current.status);
        const since = lines.length > 0 ? lines[lines.length - 1]!.id : request.query.since;
        return ok({ lines: lines.map(presentLine), since, complete });
      }
      const text: string[] = [];
      for await (const l of ctx.store.allLogs(execution.uuid, { pageSize: PAGE })) text.push(textLine(l));
      return reply.type("text/plain; charset=utf-8").send(text.length > 0 ? text.join("\n") + "\n" : "");
    },
  );
}

async function* allPages(store: Store, executionUuid: ExecutionId, sinceId: number): AsyncGenerator<LogLine[]> {
  for (;;) {
    const page = await store.readLogs(executionUuid, { sinceId, limit: PAGE });
    if (page.length === 0) return;
    yield page;
    sinceId = page[page.length - 1]!.id;
    if (page.length < PAGE) return;
  }
}

async function streamLog(store: Store, executionUuid: ExecutionId, sinceId: number, reply: FastifyReply, raw: NodeJS.EventEmitter): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  let closed = false;
  raw.once("close", () => (closed = true));
  let last = sinceId;
  try {
    while (!closed) {
      // Status first: once it is terminal, every line is stored, so one more read finds the rest.
      const execution = await store.getExecution(executionUuid);
      const finished = execution === undefined || TERMINAL_EXECUTION_STATUSES.includes(execution.status);
      for await (const page of allPages(store, executionUuid, last)) {
        for (const line of page) res.write(`id: ${line.id}\nevent: line\ndata: ${JSON.stringify(presentLine(line))}\n\n`);
        last = page[page.length - 1]!.id;
      }
      if (finished) {
        res.write(`event: end\ndata: ${JSON.stringify({ status: execution?.status ?? "deleted", since: last })}\n\n`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
  } finally {
    res.end();
  }
}

export function presentLine(l: LogLine): z.infer<typeof logLineSchema> {
  return { id: l.id, stream: l.stream, ts: new Date(l.ts).toISOString(), line: l.line };
}

export function textLine(l: LogLine): string {
  return l.stream === "system" ? `[cairn] ${l.line}` : l.line;
}
