import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/** A pipeline's declared params through the API: a run is refused with 400 naming the param, defaults are recorded. */

const W = "/v3/workflows";

describe("declared params on the API", () => {
  let s: InProcessServer;
  let token: string;
  const events = `${W}/groups/lab/pipelines/p/events`;
  const post = (params: Record<string, unknown>) => s.inject({ method: "POST", url: events, headers: { "x-tapis-token": token }, payload: { params } });

  beforeAll(async () => {
    s = await startInProcessServer();
    token = await s.newUser("paula");
    const headers = { "x-tapis-token": token };
    expect((await s.inject({ method: "POST", url: `${W}/groups`, headers, payload: { id: "lab" } })).statusCode).toBe(201);
    const pipeline = {
      id: "p",
      execution_profile: { runtime: "host" },
      params: { sample: { type: "string", required: true }, reads: { type: "number", default: 10 } },
      tasks: [{ id: "t", type: "function", runtime: "bash", code: Buffer.from("true").toString("base64") }],
    };
    const created = await s.inject({ method: "POST", url: `${W}/groups/lab/pipelines`, headers, payload: pipeline });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().result.params).toEqual({ sample: { type: "string", required: true }, reads: { type: "number", required: false, default: 10 } });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it("refuses a run with 400 naming a missing, unknown or mistyped param", async () => {
    const r = await post({ reads: "lots", other: 1 });
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body.message).toContain("the run's params is invalid");
    expect(body.result.issues).toEqual([
      { path: "params.reads", message: 'expected a number, got "lots"' },
      { path: "params.other", message: "unknown param; the pipeline declares sample, reads" },
      { path: "params.sample", message: "required param is missing" },
    ]);
  });

  it("starts a run with the defaults applied", async () => {
    const r = await post({ sample: "s1" });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().result.params).toEqual({ sample: "s1", reads: "10" });
  });
});
