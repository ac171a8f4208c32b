import createClient, { type Client } from "openapi-fetch";
import { CairnError } from "../errors.js";
import { ApiError } from "./api-error.js";
import { readEventStream } from "./event-stream.js";
import type { components, paths } from "./openapi-types.js";

export type Run = components["schemas"]["Run"];
export type Execution = components["schemas"]["Execution"];
export type Pipeline = components["schemas"]["Pipeline"];
export type LogLine = components["schemas"]["LogLine"];
export type Group = paths["/v3/workflows/groups"]["get"]["responses"][200]["content"]["application/json"]["result"][number];
export type RunStatus = Run["status"];
export type Image = components["schemas"]["Image"];
export type RunProvenance = components["schemas"]["RunProvenance"];
export type ExecutionStatus = Execution["status"];
/** What names a run in the API's paths; a `Run` is one. */
export type RunRef = Pick<Run, "group_id" | "pipeline_id" | "uuid">;
/** The `?since=ID` answer: the lines after ID, the id to ask from next, and whether the log is complete. */
export type LogPage = paths[typeof LOG_PATH]["get"]["responses"][200]["content"]["application/json"]["result"];

const W = "/v3/workflows";
/** Sent by the CLI with the events it posts, so its runs record the trigger `cli`. */
export const TRIGGER_HEADER = "x-cairn-trigger";
const LOG_PATH = `${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions/{execution_uuid}/logs` as const;
/** A log stream that closes before its `end` event is opened again from the last line, this many times in a row at most. */
const LOG_STREAM_RETRIES = 5;
const LOG_STREAM_RETRY_DELAY_MS = 500;

export interface CairnClientOptions {
  /** `http://host:port` of the server. */
  baseUrl: string;
  /** A log-in token, sent as `Authorization: Bearer`. */
  token?: string | undefined;
}

/**
 * The Cairn API over HTTP, typed by the paths generated from the server's OpenAPI
 * document (openapi-types.ts). Each method answers the envelope's `result`; an error
 * answer throws ApiError with the server's status, message and issues.
 *
 * @example
 * const client = new CairnClient({ baseUrl: "http://127.0.0.1:8080", token });
 * const run = await client.startRun("lab", "hello", { params: { greeting: "hi" } });
 */
export class CairnClient {
  /** The typed fetch client itself, for calls this class has no method for. */
  readonly api: Client<paths, "application/json">;
  readonly baseUrl: string;

  constructor(options: CairnClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const baseUrl = this.baseUrl;
    this.api = createClient<paths, "application/json">({
      baseUrl,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      fetch: async (request) => {
        try {
          return await fetch(request);
        } catch (err) {
          if ((err as Error).name === "AbortError") throw err;
          // fetch's own message is only "fetch failed"; its cause says why (ECONNREFUSED, ...).
          throw new CairnError("runtime_unavailable", `cannot reach the Cairn server at ${baseUrl}`, { cause: (err as Error).cause ?? err });
        }
      },
    });
  }

  /** Tapis' password grant; the token is not kept: make a new client with it. */
  async logIn(username: string, password: string): Promise<{ token: string; expiresAt: string }> {
    const result = await unwrap(this.api.POST("/v3/oauth2/tokens", { body: { username, password, grant_type: "password" } }));
    return { token: result.access_token.access_token, expiresAt: result.access_token.expires_at };
  }

  /** Revokes this client's token. */
  async logOut(): Promise<void> {
    const { error, response } = await this.api.POST("/logout");
    if (error !== undefined) throw ApiError.fromResponse(response, error);
  }

  async listGroups(): Promise<Group[]> {
    return unwrap(this.api.GET(`${W}/groups`));
  }

  async listPipelines(groupId: string): Promise<Pipeline[]> {
    return unwrap(this.api.GET(`${W}/groups/{group_id}/pipelines`, { params: { path: { group_id: groupId } } }));
  }

  async getPipeline(groupId: string, pipelineId: string): Promise<Pipeline> {
    return unwrap(this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}`, { params: { path: { group_id: groupId, pipeline_id: pipelineId } } }));
  }

  async createPipeline(groupId: string, definition: Record<string, unknown>): Promise<Pipeline> {
    return unwrap(this.api.POST(`${W}/groups/{group_id}/pipelines`, { params: { path: { group_id: groupId } }, body: definition }));
  }

  async replacePipeline(groupId: string, pipelineId: string, definition: Record<string, unknown>): Promise<Pipeline> {
    return unwrap(
      this.api.PUT(`${W}/groups/{group_id}/pipelines/{pipeline_id}`, { params: { path: { group_id: groupId, pipeline_id: pipelineId } }, body: definition }),
    );
  }

  /**
   * Starts a run through the pipeline's events endpoint. With attachments the event is
   * sent as multipart/form-data, each file as a part (`task:TASK_ID` for one task's).
   * Node 20's fetch holds such a body in memory while it sends it: for big files from
   * Node, the CLI's postEventWithAttachments (node:http) streams them instead.
   */
  async startRun(
    groupId: string,
    pipelineId: string,
    options: { params?: Record<string, string>; directives?: string[]; attachments?: readonly RunAttachment[]; trigger?: "cli" } = {},
  ): Promise<Run> {
    const body = { params: options.params ?? {}, ...(options.directives && options.directives.length > 0 ? { directives: options.directives } : {}) };
    const attachments = options.attachments ?? [];
    return unwrap(
      this.api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/events`, {
        params: { path: { group_id: groupId, pipeline_id: pipelineId } },
        body,
        // What the run records as its trigger; anything else is "api".
        ...(options.trigger !== undefined ? { headers: { [TRIGGER_HEADER]: options.trigger } } : {}),
        ...(attachments.length > 0 ? { bodySerializer: () => eventForm(body, attachments) } : {}),
      }),
    );
  }

  async listRuns(groupId: string, pipelineId: string, options: { limit?: number; status?: RunStatus } = {}): Promise<Run[]> {
    return unwrap(
      this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs`, {
        params: { path: { group_id: groupId, pipeline_id: pipelineId }, query: { limit: options.limit ?? 100, ...(options.status ? { status: options.status } : {}) } },
      }),
    );
  }

  async getRun(run: RunRef): Promise<Run> {
    return unwrap(this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}`, { params: { path: runPath(run) } }));
  }

  /** A run known by its uuid alone (Cairn's `/runs/{uuid}` extension); the answer names its group and pipeline. */
  async findRun(runUuid: string): Promise<Run> {
    return unwrap(this.api.GET(`${W}/runs/{run_uuid}`, { params: { path: { run_uuid: runUuid } } }));
  }

  /** Every attempt of every task, ordered by task id then attempt. */
  async listExecutions(run: RunRef): Promise<Execution[]> {
    return unwrap(this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/executions`, { params: { path: runPath(run) } }));
  }

  /** Asks the server to cancel; answers the run as it is right after, and the server's message. */
  async cancelRun(run: RunRef): Promise<{ run: Run; message: string }> {
    const { data, error, response } = await this.api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/cancel`, { params: { path: runPath(run) } });
    if (error !== undefined) throw ApiError.fromResponse(response, error);
    return { run: data.result, message: data.message };
  }

  /** Retry from failure: a new run that reuses the run's succeeded tasks and runs the others again. */
  async retryRun(run: RunRef): Promise<Run> {
    return unwrap(this.api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/retry`, { params: { path: runPath(run) } }));
  }

  /** A new run of the run's frozen pipeline, with the same params and directives, every task run again. */
  async rerunRun(run: RunRef): Promise<Run> {
    return unwrap(this.api.POST(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/rerun`, { params: { path: runPath(run) } }));
  }

  /** The lines after `since` (0: from the start), at most a page of them. */
  async readLog(run: RunRef, executionUuid: string, since = 0): Promise<LogPage> {
    return unwrap(this.api.GET(LOG_PATH, { params: { path: { ...runPath(run), execution_uuid: executionUuid }, query: { since } } }));
  }

  /** The whole log as the server's plain text (system lines prefixed with `[cairn]`). */
  async logText(run: RunRef, executionUuid: string): Promise<string> {
    const { data, error, response } = await this.api.GET(LOG_PATH, { params: { path: { ...runPath(run), execution_uuid: executionUuid } }, parseAs: "text" });
    if (error !== undefined) throw ApiError.fromResponse(response, error);
    return data;
  }

  /**
   * Lines as they are written, over Server-Sent Events, until the execution ends (the
   * return value has its final status). A stream that closes early is opened again after
   * the last line seen, so no line is lost or repeated.
   */
  async *followLog(run: RunRef, executionUuid: string, options: { since?: number; signal?: AbortSignal } = {}): AsyncGenerator<LogLine, { status: string }> {
    let since = options.since ?? 0;
    for (let failures = 0; ; failures++) {
      const { data, error, response } = await this.api.GET(LOG_PATH, {
        params: { path: { ...runPath(run), execution_uuid: executionUuid }, query: { since } },
        headers: { accept: "text/event-stream" },
        parseAs: "stream",
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (error !== undefined) throw ApiError.fromResponse(response, error);
      for await (const event of readEventStream(chunksOf(data))) {
        if (event.event === "line") {
          const line = JSON.parse(event.data) as LogLine;
          since = line.id;
          failures = 0;
          yield line;
        } else if (event.event === "end") {
          return JSON.parse(event.data) as { status: string };
        }
      }
      if (failures >= LOG_STREAM_RETRIES) {
        throw new CairnError("runtime_unavailable", `the log stream of execution ${executionUuid} kept closing before its end`);
      }
      await new Promise((resolve) => setTimeout(resolve, LOG_STREAM_RETRY_DELAY_MS));
    }
  }

  /** The run's outputs and logs as a zip, as a stream of bytes. */
  async results(run: RunRef): Promise<ReadableStream<Uint8Array>> {
    const { data, error, response } = await this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/results`, {
      params: { path: runPath(run) },
      parseAs: "stream",
    });
    if (error !== undefined) throw ApiError.fromResponse(response, error);
    if (data === null) throw new ApiError(response.status, "the results answer had no body");
    return data;
  }

  /** The group's image catalog, newest first. */
  async listImages(groupId: string, filter: { name?: string; commit?: string; bad?: boolean; limit?: number } = {}): Promise<Image[]> {
    return unwrap(
      this.api.GET(`${W}/groups/{group_id}/images`, {
        params: {
          path: { group_id: groupId },
          query: { limit: filter.limit ?? 100, ...(filter.name ? { name: filter.name } : {}), ...(filter.commit ? { commit: filter.commit } : {}), ...(filter.bad ? { bad: "true" as const } : {}) },
        },
      }),
    );
  }

  /** An image by digest or repository:tag (the newest such), with the executions that used it. */
  async inspectImage(groupId: string, ref: string) {
    const digest = /^sha256:[0-9a-f]{64}$/.test(ref) ? ref : (await unwrap(this.api.GET(`${W}/groups/{group_id}/images/resolve`, { params: { path: { group_id: groupId }, query: { ref } } }))).digest;
    return unwrap(this.api.GET(`${W}/groups/{group_id}/images/{digest}`, { params: { path: { group_id: groupId, digest } } }));
  }

  async markImageBad(groupId: string, digest: string, reason: string) {
    return unwrap(this.api.POST(`${W}/groups/{group_id}/images/{digest}/bad`, { params: { path: { group_id: groupId, digest } }, body: { reason } }));
  }

  /** Runs again every run that used the image; each new run supersedes its old one. */
  async rerunAffected(groupId: string, digest: string, replacement: { image: string } | { rebuild: true }) {
    return unwrap(this.api.POST(`${W}/groups/{group_id}/images/{digest}/rerun`, { params: { path: { group_id: groupId, digest } }, body: replacement }));
  }

  async provenance(run: RunRef): Promise<RunProvenance> {
    return unwrap(this.api.GET(`${W}/groups/{group_id}/pipelines/{pipeline_id}/runs/{run_uuid}/provenance`, { params: { path: runPath(run) } }));
  }

  /** The server's container engine: name, version, architecture. */
  async engineInfo() {
    return unwrap(this.api.GET(`${W}/engine`));
  }
}

/** A file for a run: under `name` in every task's /inbox, or in one task's. */
export interface RunAttachment {
  name: string;
  task?: string;
  content: Blob;
}

function eventForm(body: { params: Record<string, string>; directives?: string[] }, attachments: readonly RunAttachment[]): FormData {
  const form = new FormData();
  form.append("params", JSON.stringify(body.params));
  if (body.directives) form.append("directives", JSON.stringify(body.directives));
  for (const a of attachments) form.append(a.task === undefined ? "attachments" : `task:${a.task}`, a.content, a.name);
  return form;
}

function runPath(run: RunRef) {
  return { group_id: run.group_id, pipeline_id: run.pipeline_id, run_uuid: run.uuid };

}

/** The envelope's `result`, or the error answer as an ApiError. */
async function unwrap<T>(call: Promise<{ data?: { result: T }; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) throw ApiError.fromResponse(response, error);
  return data.result;
}

/** The body's chunks; leaving the loop early cancels the body, which closes the connection. */
async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // The stream ended or failed already; its own error, if any, is what the caller sees.
    await reader.cancel().catch(() => undefined);
  }
}
