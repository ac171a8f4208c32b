import { BenchError } from "./measure.js";

/**
 * The few API calls the suite makes, over fetch, in the shape of the API's envelope
 * (`{success, status, message, result}`). Any status other than the expected one is a
 * BenchError that quotes the answer: a benchmark of failing requests measures nothing.
 */

export const API_PREFIX = "/v3/workflows";
/** The admin user the server creates on its first start, with CAIRN_ADMIN_PASSWORD. */
export const ADMIN_LOGIN = "admin";

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  get headers(): Record<string, string> {
    return this.token === undefined ? {} : { "x-tapis-token": this.token };
  }

  /** `result` of the envelope; throws unless the answer has status `expect`. */
  async call<T>(method: "GET" | "POST", path: string, expect: number, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { ...this.headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await fetch(this.baseUrl + path, init);
    const text = await res.text();
    if (res.status !== expect) throw new BenchError(`${method} ${path}: expected ${expect}, got ${res.status}: ${text.slice(0, 500)}`);
    try {
      return (JSON.parse(text) as { result: T }).result;
    } catch (cause) {
      throw new BenchError(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`, {}, { cause });
    }
  }

  /** Logs in with Tapis' token call and returns a client that sends the token. */
  async logIn(login: string, password: string): Promise<ApiClient> {
    const result = await this.call<{ access_token: { access_token: string } }>("POST", "/v3/oauth2/tokens", 201, {
      username: login,
      password,
      grant_type: "password",
    });
    return new ApiClient(this.baseUrl, result.access_token.access_token);
  }
}

export interface RunSummary {
  uuid: string;
  status: string;
}

export interface ExecutionSummary {
  task_id: string;
  status: string;
  outputs: Record<string, string>;
}

export const TERMINAL_RUN_STATUSES = new Set(["succeeded", "failed", "cancelled"]);
