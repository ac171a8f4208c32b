import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

/**
 * A run's token (issue 21, finding 3): a member writes a pipeline whose task uses
 * $CAIRN_API_TOKEN to make the member an admin, and waits for an admin to run it. The
 * token may only read its group's pipelines, runs, logs and results and start runs, and
 * acts for the less privileged of the run's starter and whoever last changed the
 * definition, so the admin's run, and re-run, lend the member's code nothing.
 * The task is a real process on the host (curl), calling the server over loopback.
 */

const W = "/v3/workflows";
const b64 = (text: string) => Buffer.from(text).toString("base64");

// Each line: what was tried, and the status it got. The last calls keep what the server answered.
const PROBE = String.raw`
call() { curl -s -o /dev/null -w '%{http_code}' -H "X-Tapis-Token: $CAIRN_API_TOKEN" -H 'content-type: application/json' "$@"; }
ACCOUNTS=$(echo "$CAIRN_API_URL" | sed 's#/v3/workflows$##')
{
  echo "make-me-admin $(call -X PATCH -d '{"is_admin":true}' "$CAIRN_API_URL/groups/lab/users/max")"
  echo "add-member $(call -X POST -d '{"username":"accomplice","is_admin":true}' "$CAIRN_API_URL/groups/lab/users")"
  echo "members $(call "$CAIRN_API_URL/groups/lab/users")"
  echo "group $(call "$CAIRN_API_URL/groups/lab")"
  echo "groups $(call "$CAIRN_API_URL/groups")"
  echo "new-group $(call -X POST -d '{"id":"mine"}' "$CAIRN_API_URL/groups")"
  echo "secrets $(call "$CAIRN_API_URL/groups/lab/secrets")"
  echo "put-secret $(call -X PUT -d '{"value":"stolen-value"}' "$CAIRN_API_URL/groups/lab/secrets/STOLEN")"
  echo "identities $(call "$CAIRN_API_URL/identities")"
  echo "new-identity $(call -X POST -d '{"type":"github","name":"x","credentials":{"username":"u","personal_access_token":"t"}}' "$CAIRN_API_URL/identities")"
  echo "systems $(call "$CAIRN_API_URL/groups/lab/systems")"
  echo "new-system $(call -X POST -d '{"id":"disk","type":"local","root_dir":"lab"}' "$CAIRN_API_URL/groups/lab/systems")"
  echo "archives $(call "$CAIRN_API_URL/groups/lab/archives")"
  echo "run-archives $(call "$CAIRN_API_URL/groups/lab/pipelines/sneaky/runs/$CAIRN_RUN_UUID/archives")"
  echo "edit-pipeline $(call -X DELETE "$CAIRN_API_URL/groups/lab/pipelines/child/tasks/only")"
  echo "cancel $(call -X POST "$CAIRN_API_URL/groups/lab/pipelines/sneaky/runs/$CAIRN_RUN_UUID/cancel")"
  echo "logout $(call -X POST "$ACCOUNTS/logout")"
  echo "pipelines $(call "$CAIRN_API_URL/groups/lab/pipelines")"
  echo "own-run $(call "$CAIRN_API_URL/groups/lab/pipelines/sneaky/runs/$CAIRN_RUN_UUID")"
  echo "executions $(call "$CAIRN_API_URL/groups/lab/pipelines/sneaky/runs/$CAIRN_RUN_UUID/executions")"
} > "$CAIRN_OUTPUTS_DIR/report"
curl -s -H "X-Tapis-Token: $CAIRN_API_TOKEN" -H 'content-type: application/json' -X PATCH -d '{"is_admin":true}' "$CAIRN_API_URL/groups/lab/users/max" > "$CAIRN_OUTPUTS_DIR/refusal"
curl -s -H "X-Tapis-Token: $CAIRN_API_TOKEN" -H 'content-type: application/json' -X POST -d '{}' "$CAIRN_API_URL/groups/lab/pipelines/child/events" > "$CAIRN_OUTPUTS_DIR/child"
`;

const sneaky = {
  id: "sneaky",
  execution_profile: { runtime: "host", max_exec_time: 60 },
  tasks: [
    {
      id: "probe",
      type: "function",
      runtime: "bash",
      inject_api_token: true,
      output: { report: { type: "string" }, refusal: { type: "string" }, child: { type: "string" } },
      code: b64(PROBE),
    },
  ],
};
const child = { id: "child", execution_profile: { runtime: "host", max_exec_time: 60 }, tasks: [{ id: "only", type: "function", runtime: "bash", code: b64("echo child") }] };

/** What a run of `sneaky` saw, once it has ended. */
interface Probe {
  statuses: Record<string, number>;
  refusal: { status: number; message: string };
  child: { status: number; result: { started_by: string } };
}

describe("a run's token", () => {
  let server: TestServer;
  /** The group's owner, an admin and a member. */
  let olga: ApiClient;
  let ada: ApiClient;
  let max: ApiClient;
  const P = `${W}/groups/lab/pipelines/sneaky`;

  beforeAll(async () => {
    server = await startTestServer();
    const anon = new ApiClient(server.url);
    olga = await newUser(anon, "olga");
    ada = await newUser(anon, "ada");
    max = await newUser(anon, "max");
    expect((await olga.post(`${W}/groups`, { id: "lab", users: [{ username: "ada", is_admin: true }, { username: "max" }] })).status).toBe(201);
    expect((await max.post(`${W}/groups/lab/pipelines`, sneaky)).status).toBe(201);
    expect((await max.post(`${W}/groups/lab/pipelines`, child)).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function probe(runUuid: string): Promise<Probe> {
    const run = await waitForRun(olga, `${P}/runs/${runUuid}`);
    const executions = (await olga.get(`${P}/runs/${runUuid}/executions`)).body.result as { outputs: Record<string, string> }[];
    expect(run.status, JSON.stringify(executions)).toBe("succeeded");
    const outputs = executions[0]!.outputs;
    const statuses = Object.fromEntries(outputs.report!.trim().split("\n").map((line) => [line.split(" ")[0]!, Number(line.split(" ")[1])]));
    return { statuses, refusal: JSON.parse(outputs.refusal!), child: JSON.parse(outputs.child!) };
  }

  async function maxIsAdmin(): Promise<boolean> {
    return (await olga.get(`${W}/groups/lab/users/max`)).body.result.is_admin;
  }

  const REFUSED = [
    "make-me-admin",
    "add-member",
    "members",
    "group",
    "groups",
    "new-group",
    "secrets",
    "put-secret",
    "identities",
    "new-identity",
    "systems",
    "new-system",
    "archives",
    "run-archives",
    "edit-pipeline",
    "cancel",
    "logout",
  ];
  const ALLOWED = ["pipelines", "own-run", "executions"];

  function expectScoped(seen: Probe): void {
    expect(seen.statuses).toEqual(Object.fromEntries([...REFUSED.map((k) => [k, 403]), ...ALLOWED.map((k) => [k, 200])]));
    expect(seen.refusal).toMatchObject({ success: false, status: 403 });
    expect(seen.refusal.message).toMatch(/^a run's token may not call PATCH \/v3\/workflows\/groups\/:group_id\/users\/:username: it may only read its group's pipelines, runs, logs and results and start runs$/);
  }

  it("cannot make the member who wrote the pipeline an admin when an admin runs it, nor when the owner re-runs it; it reads and starts runs as the member", async () => {
    const started = await ada.post(`${P}/events`, {});
    expect(started.status).toBe(201);
    const first = await probe(started.body.result.uuid);
    // The escalation of the issue: the group's owner, who alone may make admins, re-runs the member's run.
    const rerun = await olga.post(`${P}/runs/${started.body.result.uuid}/rerun`);
    expect(rerun.status).toBe(201);
    expect(rerun.body.result.started_by).toBe("olga");
    const second = await probe(rerun.body.result.uuid);
    expect(await maxIsAdmin(), "the member's task made the member an admin").toBe(false);

    for (const seen of [first, second]) {
      expectScoped(seen);
      expect(seen.child).toMatchObject({ status: 201, result: { started_by: "max" } });
    }
    expect((await olga.get(`${W}/groups/lab/secrets`)).body.result).toEqual([]);
    expect((await olga.get(`${W}/groups/lab/users`)).body.result.map((u: { username: string }) => u.username).sort()).toEqual(["ada", "max", "olga"]);
  });

  it("acts for the less privileged of the starter and the last to change the pipeline, and a re-run keeps the frozen definition's author", async () => {
    const byMax = await olga.post(`${P}/events`, {});
    expect((await probe(byMax.body.result.uuid)).child.result.started_by).toBe("max");

    // The admin takes the pipeline over: her code now, so her runs act for her, the member's for him.
    expect((await ada.put(P, sneaky)).status).toBe(200);
    expect((await probe((await olga.post(`${P}/events`, {})).body.result.uuid)).child.result.started_by).toBe("ada");
    expect((await probe((await ada.post(`${P}/events`, {})).body.result.uuid)).child.result.started_by).toBe("ada");
    expect((await probe((await max.post(`${P}/events`, {})).body.result.uuid)).child.result.started_by).toBe("max");

    // A re-run runs the definition the old run froze, which the member wrote.
    const rerun = await olga.post(`${P}/runs/${byMax.body.result.uuid}/rerun`);
    const seen = await probe(rerun.body.result.uuid);
    expectScoped(seen);
    expect(seen.child.result.started_by).toBe("max");
  });
});
