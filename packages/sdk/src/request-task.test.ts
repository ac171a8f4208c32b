import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { pipeline, secret, task } from "./index.js";

describe("request tasks", () => {
  it("writes every field under its API name", () => {
    const fetch = task("fetch", "request")
      .url("https://example.org/api")
      .method("POST")
      .headers({ accept: "application/json" })
      .headers({ "x-trace": "1" })
      .queryParams({ page: "2" })
      .data({ name: "cairn", tags: ["a"] })
      .auth({ type: "bearer", token: "t0k3n" })
      .successStatusCodes([200, 201])
      .inputFrom("TOKEN", secret("api-token"));

    const json = pipeline("p").tasks(fetch).build();

    expect(json.tasks[0]).toEqual({
      id: "fetch",
      type: "request",
      url: "https://example.org/api",
      http_method: "post",
      headers: { accept: "application/json", "x-trace": "1" },
      query_params: { page: "2" },
      data: { name: "cairn", tags: ["a"] },
      auth: { type: "bearer", token: "t0k3n" },
      success_status_codes: [200, 201],
      input: { TOKEN: { type: "string", value_from: { secret: "api-token" } } },
    });
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("needs only a url: the method defaults to GET and the protocol follows the url", () => {
    const json = pipeline("p").tasks(task("get", "request").url("http://localhost:8080/health")).build();
    expect(json.tasks[0]).toEqual({ id: "get", type: "request", url: "http://localhost:8080/health" });
    const parsed = validatePipeline(json);
    expect(parsed.ok && parsed.pipeline.tasks[0]).toMatchObject({ http_method: "get", protocol: "http" });
  });

  it("lets later tasks read the implicit outputs status and body", () => {
    const probe = task("probe", "request").url("https://example.org/");
    const check = task("check", "function").runtime("bash").code("test \"$STATUS\" = 200").dependsOn(probe).inputFrom("STATUS", {
      task_output: { task_id: "probe", output_id: "status" },
    });
    expect(pipeline("p").tasks(probe, check).validate().ok).toBe(true);
  });
});
