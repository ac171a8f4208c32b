import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TaskFailure } from "../../errors.js";
import { egressFetch } from "../../net/egress-fetch.js";
import type { RequestTask } from "../../spec/types.js";
import type { TaskExecutionContext, TaskHandler } from "../task-handler.js";

/**
 * Sends the task's HTTP(S) request from the server process itself (Node's fetch): no
 * container is needed for one call. Outputs `status`, `body` and `headers` (JSON), also
 * written as files `status` and `body` in the outputs dir for file-based consumers.
 *
 * `{{inputs.NAME}}` in the url, query param values, header values and `data` (a string,
 * or every string inside an object/array) is replaced with the input's value, so a
 * request can use an earlier task's output. Auth and bodies are never logged.
 *
 * The request, and each redirect, goes through the server's egress policy (ctx.egress):
 * Cairn's own API, the host's other services, private networks and metadata addresses
 * are refused unless the operator allows them.
 */

/** Responses are outputs stored in the database; past this they belong in a file, not a request task. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD"]);

export const requestHandler: TaskHandler<RequestTask> = {
  type: "request",

  async run(ctx) {
    const request = buildRequest(ctx);
    const started = Date.now();
    // The whole call, redirects and body included, within the server's fetch timeout; the task's own max_exec_time aborts ctx.signal.
    const deadline = AbortSignal.timeout(ctx.egress.fetchTimeoutMs);
    const call: Call = { ctx, signal: AbortSignal.any([ctx.signal, deadline]), deadline };
    const { response, url, method } = await send(call, request);
    const body = await readBody(call, response, method, url);
    const status = String(response.status);
    ctx.log("system", `${method} ${displayUrl(url)} -> ${status} (${Date.now() - started} ms, ${body.byteLength} bytes)`);

    const text = body.toString("utf8");
    await writeFile(join(ctx.paths.outputs, "body"), body);
    await writeFile(join(ctx.paths.outputs, "status"), status);

    const success = ctx.task.success_status_codes?.includes(response.status) ?? (response.status >= 200 && response.status <= 299);
    if (!success) {
      // A short excerpt: error bodies usually say why, and the whole body is in the outputs dir.
      const trimmed = text.trim();
      const excerpt = trimmed.length > 200 ? `: ${trimmed.slice(0, 200)}…` : trimmed ? `: ${trimmed}` : "";
      throw new TaskFailure(`${method} ${displayUrl(url)} returned status ${status}${excerpt}`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    return { outputs: { status, body: text, headers: JSON.stringify(headerObject(response.headers)) } };
  },
};

/** One task's call: the signal that stops it (cancel, max_exec_time, or the fetch timeout, which `deadline` tells apart). */
interface Call {
  ctx: TaskExecutionContext<RequestTask>;
  signal: AbortSignal;
  deadline: AbortSignal;
}

interface PreparedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

function buildRequest(ctx: TaskExecutionContext<RequestTask>): PreparedRequest {
  const { task } = ctx;
  const fill = (text: string, field: string) => substituteInputs(text, ctx.inputs, `${field} of request task '${task.id}'`);
  const method = task.http_method.toUpperCase();

  const url = parseUrl(fill(task.url, "url"), task.protocol);
  for (const [name, value] of Object.entries(task.query_params)) url.searchParams.set(name, fill(value, `query_params.${name}`));

  const headers = new Headers();
  for (const [name, value] of Object.entries(task.headers)) {
    try {
      headers.set(name, fill(value, `headers.${name}`));
    } catch (cause) {
      if (cause instanceof TaskFailure) throw cause;
      throw new TaskFailure(`request task '${task.id}': header '${name}' is not a valid HTTP header`, { retryable: false, cause });
    }
  }
  // fetch refuses URLs with user:pass@; they mean basic auth, and must not reach logs or messages.
  if (url.username || url.password) {
    if (!task.auth) headers.set("authorization", basicAuth(decodeURIComponent(url.username), decodeURIComponent(url.password)));
    url.username = "";
    url.password = "";
  }
  if (task.auth?.type === "basic") headers.set("authorization", basicAuth(task.auth.username, task.auth.password));
  if (task.auth?.type === "bearer") headers.set("authorization", `Bearer ${task.auth.token}`);

  let body: string | undefined;
  if (task.data !== undefined && task.data !== null && !METHODS_WITHOUT_BODY.has(method)) {
    if (typeof task.data === "string") {
      body = fill(task.data, "data");
    } else {
      body = JSON.stringify(mapStrings(task.data, (s) => fill(s, "data")));
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
  }
  return { method, url, headers, body };
}

function parseUrl(text: string, protocol: RequestTask["protocol"]): URL {
  // Tapis pipelines may give the scheme in `protocol` and a url without one.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${protocol}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new TaskFailure(`url '${text.replace(/\/\/[^/@]*@/, "//")}' is not a valid URL`, { retryable: false, cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TaskFailure(`url '${displayUrl(url)}' must use http or https, not ${url.protocol.slice(0, -1)}`, { retryable: false });
  }
  return url;
}

/**
 * Follows redirects itself (fetch would follow up to 20, silently): at most MAX_REDIRECTS,
 * each one logged and checked by the egress policy like the first url (an allowed host
 * may redirect to loopback), and the Authorization header dropped when the redirect
 * leaves the origin.
 */
async function send(call: Call, request: PreparedRequest): Promise<{ response: Response; url: URL; method: string }> {
  const { ctx } = call;
  let { method, url, body } = request;
  const headers = new Headers(request.headers);
  // Named in a refusal: the task's url, or the redirect that led elsewhere.
  let subject = `request to ${displayUrl(url)} (url of request task '${ctx.task.id}')`;
  for (let redirects = 0; ; redirects++) {
    let response: Response;
    try {
      response = await egressFetch(ctx.egress, url, { method, headers, body, signal: call.signal, subject });
    } catch (cause) {
      stopped(call, method, url);
      if (cause instanceof TaskFailure) throw cause;
      throw new TaskFailure(`${method} ${displayUrl(url)} failed: ${networkReason(cause)}`, { retryable: true, cause });
    }
    const location = response.headers.get("location");
    if (!isRedirect(response.status) || location === null) return { response, url, method };

    await response.body?.cancel();
    if (redirects === MAX_REDIRECTS) {
      throw new TaskFailure(`${method} ${displayUrl(request.url)} redirected more than ${MAX_REDIRECTS} times`, { retryable: false });
    }
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new TaskFailure(`${method} ${displayUrl(url)} redirected to a ${next.protocol.slice(0, -1)} url, which a request task cannot follow`, {
        retryable: false,
      });
    }
    ctx.log("system", `${method} ${displayUrl(url)} -> ${response.status} (redirect to ${displayUrl(next)})`);
    if (next.origin !== url.origin) headers.delete("authorization");
    // As fetch does (Fetch standard, HTTP-redirect fetch): 303, and 301/302 after a POST, become a GET without a body.
    if (response.status === 303 ? method !== "HEAD" : (response.status === 301 || response.status === 302) && method === "POST") {
      method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    subject = `redirect from ${displayUrl(url)} to ${displayUrl(next)} (url of request task '${ctx.task.id}')`;
    url = next;
  }
}

/** Rethrows what stopped the call: the engine's reason on cancel or max_exec_time, a retryable failure at the fetch timeout. */
function stopped(call: Call, method: string, url: URL): void {
  if (call.ctx.signal.aborted) throw call.ctx.signal.reason;
  if (call.deadline.aborted) {
    throw new TaskFailure(`${method} ${displayUrl(url)} took longer than ${call.ctx.egress.fetchTimeoutMs / 1000} s, the most a server-side fetch may take (CAIRN_EGRESS_FETCH_TIMEOUT)`, {
      retryable: true,
    });
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Reads the body chunk by chunk, so an oversized response fails at the cap instead of filling memory first. */
async function readBody(call: Call, response: Response, method: string, url: URL): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        throw new TaskFailure(`${method} ${displayUrl(url)}: the response body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most a request task keeps`, {
          retryable: false,
        });
      }
      chunks.push(value);
    }
  } catch (cause) {
    stopped(call, method, url);
    if (cause instanceof TaskFailure) throw cause;
    throw new TaskFailure(`${method} ${displayUrl(url)}: reading the response failed: ${messageOf(cause)}`, { retryable: true, cause });
  }
  return Buffer.concat(chunks);
}

const PLACEHOLDER = /\{\{\s*inputs\.([A-Za-z0-9_.-]+)\s*\}\}/g;

function substituteInputs(text: string, inputs: Record<string, string>, where: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = inputs[name];
    if (value === undefined) {
      throw new TaskFailure(`${where} uses {{inputs.${name}}}, but the task has no input '${name}'`, { retryable: false });
    }
    return value;
  });
}

function mapStrings(value: unknown, map: (s: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, map)]));
  }
  return value;
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** The URL as it may appear in logs and errors: without user:pass@. */
function displayUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function headerObject(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => {
    result[name] = result[name] === undefined ? value : `${result[name]}, ${value}`;
  });
  return result;
}

/** Why a connection failed (ECONNREFUSED, ECONNRESET): with both address families tried, the first one's reason. */
function networkReason(err: unknown): string {
  if (err instanceof AggregateError && err.errors[0] instanceof Error) return err.errors[0].message;
  if (err instanceof Error) return err.message || ((err as NodeJS.ErrnoException).code ?? String(err));
  return messageOf(err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
