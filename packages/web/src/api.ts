import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../../cairn/src/client/openapi-types.js";

/**
 * The API as the browser calls it: openapi-fetch over the paths generated from the
 * server's OpenAPI document (the only thing this package takes from packages/cairn, as
 * types). The session is the httpOnly cookie `/login` sets; state-changing calls copy
 * the `cairn_csrf` cookie into X-CSRF-Token, the double submit docs/security.md asks of
 * browsers (api/csrf.ts).
 */

export type Run = components["schemas"]["Run"];
export type RunStatus = Run["status"];
export type Execution = components["schemas"]["Execution"];
export type ExecutionStatus = Execution["status"];
export type Pipeline = components["schemas"]["Pipeline"];
export type LogLine = components["schemas"]["LogLine"];
export type Image = components["schemas"]["Image"];
export type RunProvenance = components["schemas"]["RunProvenance"];
export type System = components["schemas"]["System"];
export type Archive = components["schemas"]["Archive"];
export type Group = paths["/v3/workflows/groups"]["get"]["responses"][200]["content"]["application/json"]["result"][number];
export type Member = Group["users"][number];

export const W = "/v3/workflows";
export const CSRF_COOKIE = "cairn_csrf";

/** An error answer of the API, worded as the API worded it, with the fields it named. */
export class ApiProblem extends Error {
  override name = "ApiProblem";
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method === "GET" || request.method === "HEAD") return undefined;
    const token = cookie(CSRF_COOKIE);
    if (token !== undefined) request.headers.set("x-csrf-token", token);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: "same-origin" });
api.use(csrf);

/** Listeners told when an answer says the session is gone (401), so the app can show the sign-in page. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export function problemOf(response: Response, body: unknown): ApiProblem {
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    const envelope = body as components["schemas"]["Error"];
    return new ApiProblem(response.status, envelope.message, envelope.result?.issues ?? []);
  }
  return new ApiProblem(response.status, `HTTP ${response.status} ${response.statusText}`);
}

/** The envelope's `result`, or the error answer thrown as an ApiProblem. */
export async function unwrap<T>(call: Promise<{ data?: { result: T }; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || data === undefined) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    throw problemOf(response, error);
  }
  return data.result;
}

/** A call whose answer has no typed envelope (Kabuto's account routes answer their own shape). */
export async function send(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const token = cookie(CSRF_COOKIE);
  if (method !== "GET" && token !== undefined) headers["x-csrf-token"] = token;
  const response = await fetch(path, { method, headers, credentials: "same-origin", ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // A proxy's HTML page, say: shown as the status alone.
  }
  if (!response.ok) throw problemOf(response, parsed);
  return parsed;
}

export interface RunRef {
  group: string;
  pipeline: string;
  run: string;
}

export function runPath(ref: RunRef) {
  return { group_id: ref.group, pipeline_id: ref.pipeline, run_uuid: ref.run };
}

export const TERMINAL_RUN: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];
export const TERMINAL_EXECUTION: readonly ExecutionStatus[] = ["succeeded", "failed", "skipped", "cancelled", "timed_out"];

/** For calls whose answer is not needed (deletes): throws the error answer as an ApiProblem. */
export async function check(call: Promise<{ error?: unknown; response: Response }>): Promise<void> {
  const { error, response } = await call;
  if (error !== undefined || !response.ok) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    throw problemOf(response, error);
  }
}

/** The JSON body a POST of the path takes, as the OpenAPI document describes it. */
export type PostBody<P extends keyof paths> = paths[P] extends { post: { requestBody?: { content: { "application/json": infer B } } } } ? B : never;
