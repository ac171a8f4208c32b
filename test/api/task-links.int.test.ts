import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { zipTexts } from "../support/zip-entries.js";

/**
 * Issue 21, finding 1, through the API on a real server: tasks (real Podman containers
 * and real host processes) hand back symbolic links to a file of the server's, in their
 * outputs and outbox, or replace the outbox itself with one. The attempt that hands back
 * an output link fails naming it, and the file's content appears in no output, message,
 * log, result or zip.
 */

const W = "/v3/workflows";
const SECRET = "planted-server-secret-0f3c9a";
const b64 = (text: string) => Buffer.from(text).toString("base64");


/** Every file's content under `dir`, links left as they are (readdir does not follow them). */
async function allFileContents(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const contents = await Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), "utf8")));
  return contents.join("\n");
}

describe("links a task hands back are never followed", () => {
  let server: TestServer;
  let ada: ApiClient;
  let secretDir: string;
  let secretFile: string;

  beforeAll(async () => {
    server = await startTestServer();
    // A file of the server's, as DATA_DIR/secret.key is.
    secretDir = join(server.dataDir, "planted");
    secretFile = join(secretDir, "secret.key");
    await mkdir(secretDir);
    await writeFile(secretFile, SECRET);
    ada = await newUser(new ApiClient(server.url), "ada");
    expect((await ada.post(`${W}/groups`, { id: "lab" })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("fails a container or host task whose output is a link, naming it; keeps no link of an outbox, nor an outbox that is one", async () => {
    const pipeline = {
      id: "links",
      execution_profile: { max_exec_time: 60 },
      tasks: [
        {
          id: "container",
          type: "container_run",
          image: "localhost/busybox:test",
          command: [
            "sh",
            "-c",
            [
              "echo fine > /cairn/outputs/fine",
              `ln -s ${secretFile} /cairn/outputs/x`,
              "echo result > /outbox/r.txt",
              `ln -s ${secretFile} /outbox/stolen`,
              `ln -s ${secretDir} /outbox/stolen-dir`,
            ].join(" && "),
          ],
          output: { x: { type: "string" } },
        },
        {
          id: "consume",
          type: "container_run",
          image: "localhost/busybox:test",
          depends_on: [{ id: "container", can_fail: true }],
          input: { IN: { type: "string", value_from: { task_output: { task_id: "container", output_id: "x" } } } },
          command: ["sh", "-c", "cat /cairn/inputs/IN"],
        },
        {
          id: "host",
          type: "function",
          runtime: "bash",
          execution_profile: { runtime: "host" },
          code: b64(`ln -s "${secretFile}" "$CAIRN_OUTPUTS_DIR/x"\n`),
        },
        {
          id: "host-outbox",
          type: "function",
          runtime: "bash",
          execution_profile: { runtime: "host" },
          code: b64(`rm -r "$CAIRN_OUTBOX_DIR" && ln -s "${secretDir}" "$CAIRN_OUTBOX_DIR"\n`),
        },
      ],
    };
    const created = await ada.post(`${W}/groups/lab/pipelines`, pipeline);
    expect(created.status, created.text).toBe(201);
    const started = await ada.post(`${W}/groups/lab/pipelines/links/events`, {});
    expect(started.status, started.text).toBe(201);
    const runPath = `${W}/groups/lab/pipelines/links/runs/${started.body.result.uuid}`;
    const run = await waitForRun(ada, runPath);
    expect(run.status).toBe("failed");

    const executions = (await ada.get(`${runPath}/executions`)).body.result as any[];
    const byTask = (id: string) => executions.filter((e) => e.task_id === id);
    for (const id of ["container", "host"]) {
      expect(byTask(id).map((e) => [e.status, e.message]), id).toEqual([["failed", "output 'x' is a symbolic link; outputs must be regular files"]]);
    }
    // The dependent never got the link's target as its input.
    expect(byTask("consume").every((e) => e.status !== "succeeded")).toBe(true);
    expect(byTask("host-outbox").map((e) => e.status)).toEqual(["succeeded"]);
    const outboxLog = (await ada.get(`${runPath}/executions/${byTask("host-outbox")[0].uuid}/logs`)).text;
    expect(outboxLog).toContain("'outbox' is a symbolic link; links are never followed");

    const logs = await Promise.all(executions.map(async (e) => (await ada.get(`${runPath}/executions/${e.uuid}/logs`)).text));
    expect(JSON.stringify([run, executions, logs])).not.toContain(SECRET);

    const zip = await fetch(`${server.url}${runPath}/results`, { headers: { "x-tapis-token": ada.token! } });
    expect(zip.status).toBe(200);
    const entries = await zipTexts(Buffer.from(await zip.arrayBuffer()));
    expect(entries.get("container/outbox/r.txt")).toBe("result\n");
    expect([...entries.keys()].filter((k) => k.includes("stolen") || k.includes("host-outbox/outbox"))).toEqual([]);
    expect([...entries.values()].join("\n")).not.toContain(SECRET);

    const one = byTask("container")[0].uuid;
    const execZip = await fetch(`${server.url}${runPath}/executions/${one}/results`, { headers: { "x-tapis-token": ada.token! } });
    const execEntries = await zipTexts(Buffer.from(await execZip.arrayBuffer()));
    expect([...execEntries.keys()].sort()).toEqual(["outbox/r.txt", "output/.stderr", "output/.stdout"]);

    // Nothing under the results folder holds the secret, and the planted files are as they were.
    expect(await allFileContents(join(server.dataDir, "results"))).not.toContain(SECRET);
    expect(await readdir(secretDir)).toEqual(["secret.key"]);
    expect(await readFile(secretFile, "utf8")).toBe(SECRET);
  });
});
