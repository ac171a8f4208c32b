import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

/**
 * inject_api_token: a task gets CAIRN_API_URL and a token that reaches its own group and
 * run and nothing else, is masked in its logs, and stops working when the run ends.
 * The task is a real container (busybox wget) on the host's network.
 */

const W = "/v3/workflows";

// The token is written with a comma after each character, which no masking recognises (reversed
// copies are masked: secret-forms.ts), so the test can read it back.
const PROBE = [
  'wget -q -O /cairn/outputs/run --header "X-Tapis-Token: $CAIRN_API_TOKEN" "$CAIRN_API_URL/groups/lab/pipelines/tokened/runs/$CAIRN_RUN_UUID"',
  'wget -q -O - --header "X-Tapis-Token: $CAIRN_API_TOKEN" "$CAIRN_API_URL/groups/other/pipelines" || echo "other group: refused"',
  'echo "my token is $CAIRN_API_TOKEN"',
  'echo "$CAIRN_API_TOKEN" | sed "s/./&,/g" > /cairn/outputs/reversed',
].join("\n");

describe("tokens injected into tasks", () => {
  let server: TestServer;
  let ada: ApiClient;

  beforeAll(async () => {
    server = await startTestServer();
    ada = await newUser(new ApiClient(server.url), "ada");
    for (const id of ["lab", "other"]) expect((await ada.post(`${W}/groups`, { id })).status).toBe(201);
    const pipeline = {
      id: "tokened",
      tasks: [
        {
          id: "probe",
          type: "container_run",
          image: "localhost/busybox:test",
          inject_api_token: true,
          command: ["sh", "-c", PROBE],
          output: { run: { type: "string" }, reversed: { type: "string" } },
        },
        { id: "plain", type: "container_run", image: "localhost/busybox:test", command: ["sh", "-c", 'echo "token: ${CAIRN_API_TOKEN:-none}"'] },
      ],
    };
    expect((await ada.post(`${W}/groups/lab/pipelines`, pipeline)).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("reaches the task's own run, not another group, is masked, and dies with the run", async () => {
    const event = await ada.post(`${W}/groups/lab/pipelines/tokened/events`, {});
    const runPath = `${W}/groups/lab/pipelines/tokened/runs/${event.body.result.uuid}`;
    expect(await waitForRun(ada, runPath)).toMatchObject({ status: "succeeded" });

    const executions = (await ada.get(`${runPath}/executions`)).body.result as { task_id: string; uuid: string; outputs: Record<string, string> }[];
    const probe = executions.find((e) => e.task_id === "probe")!;
    const plain = executions.find((e) => e.task_id === "plain")!;
    const seenByTask = JSON.parse(probe.outputs.run!);
    expect(seenByTask.result).toMatchObject({ uuid: event.body.result.uuid, status: "running", started_by: "ada" });

    const token = probe.outputs.reversed!.trim().replaceAll(",", "");
    const logs = (await ada.get(`${runPath}/executions/${probe.uuid}/logs`)).text;
    expect(logs).toContain("other group: refused");
    expect(logs).toContain("my token is ***");
    expect(logs).not.toContain(token);
    expect((await ada.get(`${runPath}/executions/${plain.uuid}/logs`)).text).toContain("token: none");

    const afterwards = await ada.as(token).get(runPath);
    expect(afterwards.status).toBe(401);
    expect(afterwards.body.message).toMatch(/run that has ended/);
  });

  it("refuses the flag on a task type that runs no process, naming the field", async () => {
    const res = await ada.post(`${W}/groups/lab/pipelines`, { id: "bad", tasks: [{ id: "r", type: "request", url: "http://127.0.0.1:1/", http_method: "get", inject_api_token: true }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("inject_api_token");
  });
});
