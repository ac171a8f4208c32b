import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunId } from "../../packages/cairn/src/ids.js";
import type { RunRecord } from "../../packages/cairn/src/store/store.js";
import { startInProcessServer, type InProcessServer } from "../support/in-process-server.js";

/**
 * GET /v3/workflows/runs/{run} takes a unique prefix of a run's uuid (8+ characters), as
 * the CLI does: counted among the runs the caller may see only, so another group's run
 * neither makes a prefix ambiguous nor shows that it exists.
 */

const W = "/v3/workflows";

describe("a run found by a prefix of its uuid", () => {
  let s: InProcessServer;
  let alice: string;
  let bob: string;
  const ours = ["abcdef01-1111-4000-8000-000000000001", "abcdef01-1113-4000-8000-000000000003"];
  const theirs = "abcdef01-2222-4000-8000-000000000002";
  const find = (token: string, text: string) => s.inject({ method: "GET", url: `${W}/runs/${text}`, headers: { "x-tapis-token": token } });

  const record = (uuid: string, groupId: string, pipelineId: string): RunRecord => ({
    uuid: uuid as RunId,
    pipelineId,
    groupId,
    status: "succeeded",
    pipeline: { id: pipelineId, tasks: [] },
    params: {},
    directives: {},
    createdAt: 1,
    startedAt: 1,
    endedAt: 2,
    message: null,
    startedBy: null,
  });

  beforeAll(async () => {
    s = await startInProcessServer();
    alice = await s.newUser("alice");
    bob = await s.newUser("bob");
    for (const [token, group, pipeline] of [
      [alice, "lab", "p"],
      [bob, "other", "q"],
    ] as const) {
      const headers = { "x-tapis-token": token };
      expect((await s.inject({ method: "POST", url: `${W}/groups`, headers, payload: { id: group } })).statusCode).toBe(201);
      const created = await s.inject({ method: "POST", url: `${W}/groups/${group}/pipelines`, headers, payload: { id: pipeline, tasks: [{ id: "t", type: "request", url: "http://example.org" }] } });
      expect(created.statusCode, created.body).toBe(201);
    }
    await s.server.cairn.store.commit({ newRuns: [record(ours[0]!, "lab", "p"), record(theirs, "other", "q"), record(ours[1]!, "lab", "p")] });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it("answers the one visible run a prefix names, in either case", async () => {
    const found = await find(alice, "ABCDEF01-1111");
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json().result).toMatchObject({ uuid: ours[0], group_id: "lab", pipeline_id: "p" });
    const full = await find(alice, ours[1]!);
    expect(full.json().result.uuid).toBe(ours[1]);
    // bob's only run with the prefix is his, although alice's share it.
    expect((await find(bob, "abcdef01")).json().result.uuid).toBe(theirs);
  });

  it("refuses an ambiguous prefix with 400 naming only the caller's runs", async () => {
    const ambiguous = await find(alice, "abcdef01");
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.body).toContain("is ambiguous");
    expect(ambiguous.body).toContain(ours[0]);
    expect(ambiguous.body).toContain(ours[1]);
    expect(ambiguous.body).not.toContain(theirs);
  });

  it("answers 404 for a prefix of another group's run, and 400 for one under 8 characters", async () => {
    const hidden = await find(alice, "abcdef01-2");
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).not.toContain(theirs);
    const short = await find(alice, "abcdef0");
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain("first 8 or more characters");
  });
});
