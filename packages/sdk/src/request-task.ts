import type { HttpMethod } from "cairn/spec";
import type { RequestAuth, RequestTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

/** Cairn validates that a request's url is http(s); the type catches the rest of the scheme mistakes. */
export type HttpUrl = `http://${string}` | `https://${string}`;

/**
 * Sends an HTTP request; the response's status and body become the outputs `status` and `body`. Required: `url`.
 * @example task("fetch", "request").method("POST").url("https://example.org/api").data({ q: 1 })
 */
export class RequestTaskBuilder<Unset extends "url" = "url"> extends TaskBuilder<RequestTaskJson, Unset> {
  /** @example task("fetch", "request").url("https://example.org/data.json") */
  url(url: HttpUrl): RequestTaskBuilder<Exclude<Unset, "url">> {
    return this.withRequired<RequestTaskBuilder<Exclude<Unset, "url">>>({ url });
  }

  /** Either case; written lower-case, as Tapis stores it. Defaults to GET. @example task("fetch", "request").method("POST") */
  method(method: HttpMethod | Uppercase<HttpMethod>): this {
    return this.with({ http_method: method.toLowerCase() as HttpMethod });
  }

  /** Added to any headers set before. @example task("fetch", "request").headers({ accept: "application/json" }) */
  headers(headers: Readonly<Record<string, string>>): this {
    return this.with({ headers: { ...this.draft.headers, ...headers } });
  }

  /** Added to any query parameters set before. @example task("fetch", "request").queryParams({ page: "2" }) */
  queryParams(params: Readonly<Record<string, string>>): this {
    return this.with({ query_params: { ...this.draft.query_params, ...params } });
  }

  /** The request body, sent as JSON. @example task("fetch", "request").method("POST").data({ name: "cairn" }) */
  data(body: unknown): this {
    return this.with({ data: body });
  }

  /** @example task("fetch", "request").auth({ type: "bearer", token: "..." }) */
  auth(auth: RequestAuth): this {
    return this.with({ auth: { ...auth } });
  }

  /** Statuses that count as success instead of 200-299. @example task("probe", "request").successStatusCodes([200, 404]) */
  successStatusCodes(codes: readonly number[]): this {
    return this.with({ success_status_codes: [...codes] });
  }
}
