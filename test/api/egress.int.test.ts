import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEgressAllow } from "../../packages/cairn/src/net/egress-allow.js";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

/**
 * Finding 4 of issue 21, through the API: a pipeline's request tasks run inside the
 * server, next to its own API and the host's other services. With the server's defaults
 * they reach neither; an operator who lists a host in CAIRN_EGRESS_ALLOW lets them.
 */

const W = "/v3/workflows";

describe("request tasks and the egress policy of `cairn server`", () => {
  let internal: Server;
  let internalUrl: string;
  let received = 0;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    // Another service on the host, bound to loopback because it trusts whoever reaches it.
    internal = createServer((_req, res) => {
      received++;
      res.end("internal data");
    });
    await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
    internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/admin`;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await new Promise((resolve) => internal.close(resolve));
  });

  async function runRequests(server: TestServer, urls: Record<string, string>): Promise<{ status: string; executions: Array<{ task_id: string; status: string; message: string | null; outputs: Record<string, string> }> }> {
    const ada = await newUser(new ApiClient(server.url), "ada");
    expect((await ada.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
    const tasks = Object.entries(urls).map(([id, url]) => ({ id, type: "request", url, http_method: "get" }));
    const created = await ada.post(`${W}/groups/lab/pipelines`, { id: "calls", tasks });
    expect(created.status, created.text).toBe(201);
    const event = await ada.post(`${W}/groups/lab/pipelines/calls/events`, {});
    const runPath = `${W}/groups/lab/pipelines/calls/runs/${event.body.result.uuid}`;
    const run = await waitForRun(ada, runPath);
    return { status: run.status, executions: (await ada.get(`${runPath}/executions`)).body.result };
  }

  it("refuses Cairn's own API, a service on loopback and the metadata address, and nothing is received", async () => {
    const server = await startTestServer();
    servers.push(server);
    const { status, executions } = await runRequests(server, {
      own_api: `${server.url}/v3/workflows/groups`,
      internal: internalUrl,
      decimal: internalUrl.replace("127.0.0.1", "2130706433"),
      metadata: "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    });
    expect(status).toBe("failed");
    const messageOf = (id: string) => executions.find((e) => e.task_id === id)?.message;
    expect(messageOf("own_api")).toBe(`request to ${server.url}/v3/workflows/groups (url of request task 'own_api') refused: 127.0.0.1 is a loopback address; an operator may allow it with CAIRN_EGRESS_ALLOW`);
    expect(messageOf("internal")).toBe(`request to ${internalUrl} (url of request task 'internal') refused: 127.0.0.1 is a loopback address; an operator may allow it with CAIRN_EGRESS_ALLOW`);
    expect(messageOf("decimal")).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(messageOf("metadata")).toMatch(/refused: 169\.254\.169\.254 is a cloud metadata address/);
    expect(received).toBe(0);
  });

  it("reaches a host the operator lists in CAIRN_EGRESS_ALLOW, and only that port", async () => {
    const server = await startTestServer({ overrides: { egressAllow: parseEgressAllow(new URL(internalUrl).host) } });
    servers.push(server);
    const { executions } = await runRequests(server, { internal: internalUrl, own_api: `${server.url}/v3/workflows/groups` });
    expect(executions.find((e) => e.task_id === "internal")).toMatchObject({ status: "succeeded", outputs: expect.objectContaining({ body: "internal data" }) });
    expect(executions.find((e) => e.task_id === "own_api")?.message).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(received).toBe(1);
  });
});
