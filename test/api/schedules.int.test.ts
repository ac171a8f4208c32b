import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, type TestServer } from "../support/api-server.js";

/**
 * Cron schedules against a real server (issue 17): a second-level schedule fires runs as
 * its creator every second, each once, until it is deleted; bad fields are refused by name.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const pipeline = {
  id: "tick",
  execution_profile: { runtime: "host", max_exec_time: 60 },
  tasks: [{ id: "say", type: "function", runtime: "bash", input: { WHO: { type: "string", value_from: { params: "who" } } }, code: b64('echo "tick for $WHO"') }],
};

describe("schedules", () => {
  let server: TestServer;
  let owner: ApiClient;
  let member: ApiClient;
  const path = `${W}/groups/sc/pipelines/tick/schedules`;

  beforeAll(async () => {
    server = await startTestServer();
    const anon = new ApiClient(server.url);
    owner = await newUser(anon, "sc-owner");
    member = await newUser(anon, "sc-member");
    expect((await owner.post(`${W}/groups`, { id: "sc", users: [{ username: "sc-member" }] })).status).toBe(201);
    expect((await owner.post(`${W}/groups/sc/pipelines`, pipeline)).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it("refuses a bad expression, zone or param by field", async () => {
    const bad = await member.post(path, { cron: "61 * * * *", timezone: "Mars/Olympus", params: { "1x": "y" } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/cron.*minute/s);
    expect(bad.body.message).toMatch(/timezone.*IANA/s);
    expect(bad.body.message).toMatch(/params/);
    expect((await member.post(path, { cron: "* * * *" })).status).toBe(400);
  });

  it("fires every second as its creator, each time once, and stops when deleted", async () => {
    const made = await member.post(path, { cron: "* * * * * *", params: { who: "cron" } });
    expect(made.status, made.text).toBe(201);
    const schedule = made.body.result;
    expect(schedule).toMatchObject({ cron: "* * * * * *", timezone: "UTC", enabled: true, catch_up: false, created_by: "sc-member" });
    expect(schedule.next_fire_times).toHaveLength(5);
    expect(Date.parse(schedule.next_fire_times[1]) - Date.parse(schedule.next_fire_times[0])).toBe(1000);

    const since = new Date(Date.now() - 60_000).toISOString();
    const scheduled = async () => (await owner.get(`${W}/groups/sc/pipelines/tick/runs?limit=1000&trigger=schedule&since=${encodeURIComponent(since)}`)).body.result as { trigger: string; started_by: string; params: Record<string, string>; created_at: string }[];
    const deadline = Date.now() + 20_000;
    while ((await scheduled()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const runs = await scheduled();
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) expect(run).toMatchObject({ trigger: "schedule", started_by: "sc-member", params: { who: "cron" } });
    // An API event is not a scheduled run, and the list pages newest first.
    const fromApi = await member.post(`${W}/groups/sc/pipelines/tick/events`, { params: { who: "api" } });
    expect(fromApi.body.result).toMatchObject({ trigger: "api" });
    const page = (await owner.get(`${W}/groups/sc/pipelines/tick/runs?trigger=schedule&limit=1&offset=1`)).body.result as { created_at: string }[];
    expect(page).toHaveLength(1);
    expect(Date.parse(page[0]!.created_at)).toBeLessThan(Date.parse(runs[0]!.created_at));
    expect((await owner.get(`${W}/groups/sc/pipelines/tick/runs?trigger=nope`)).status).toBe(400);
    // One run per second at most: no fire started twice.
    const seconds = runs.map((r) => Math.floor(Date.parse(r.created_at) / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);

    const read = await owner.get(`${path}/${schedule.uuid}`);
    expect(read.body.result.last_outcome).toMatch(/^started run/);
    expect(read.body.result.last_run_uuid).toEqual(expect.any(String));

    // Only the creator changes it; the owner of the group (an admin) may delete it.
    expect((await owner.patch(`${path}/${schedule.uuid}`, { enabled: false })).status).toBe(403);
    const paused = await member.patch(`${path}/${schedule.uuid}`, { cron: "0 0 1 1 *", timezone: "Europe/Paris" });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.result.next_fire_times[0]).toMatch(/-12-31T23:00:00.000Z$/);
    expect((await owner.delete(`${path}/${schedule.uuid}`)).status).toBe(200);
    const count = (await scheduled()).length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await scheduled()).length).toBe(count);
    expect((await member.get(path)).body.result).toEqual([]);
  }, 60_000);
});
