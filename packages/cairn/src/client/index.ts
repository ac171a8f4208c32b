/**
 * `cairn/client`: Cairn's API over HTTP, typed from the server's OpenAPI document.
 * @example
 * import { CairnClient } from "cairn/client";
 * const client = new CairnClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.CAIRN_TOKEN });
 * for (const run of await client.listRuns("lab", "hello")) console.log(run.uuid, run.status);
 */
export { CairnClient, type CairnClientOptions, type Execution, type Group, type LogLine, type LogPage, type Pipeline, type Run, type RunAttachment, type RunRef } from "./cairn-client.js";
export { ApiError, type ErrorEnvelope } from "./api-error.js";
export type { components, paths } from "./openapi-types.js";
