import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

/**
 * Issue 20: a Tapis pipeline's container_run naming an image on a registry pulls it with
 * the `registry` identity of the user who started the run, whose host is the image's
 * registry (Debian's docker-registry with an htpasswd login on loopback; busybox pushed
 * there first under a name of this file's own, never present locally under it).
 */

const BASE = "localhost/busybox:test";
const UNIQUE = `cairn-api-pull-${randomBytes(4).toString("hex")}`;

let registry: TestRegistry;
let server: TestServer;
let ada: ApiClient;
let image: string;

beforeAll(async () => {
  registry = await startRegistry({ username: "ada-on-registry" });
  image = `${registry.host}/${UNIQUE}/tool:v1`;
  execFileSync("podman", ["push", "--quiet", "--tls-verify=false", "--creds", `${registry.username}:${registry.password}`, BASE, `docker://${image}`], { stdio: "ignore" });
  server = await startTestServer({ overrides: { insecureRegistries: [registry.host] } });
  ada = await newUser(new ApiClient(server.url), "ada");
  expect((await ada.post("/v3/workflows/groups", { id: UNIQUE, users: [] })).status).toBe(201);
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (image) execFileSync("podman", ["rmi", "--force", "--ignore", image], { stdio: "ignore" });
  await registry?.close();
});

async function runPipeline(id: string): Promise<{ run: any; execution: any; log: string }> {
  const pipeline = { id, tasks: [{ id: "show", type: "container_run", image: `${registry.host}/${UNIQUE}/tool`, image_tag: "v1", command: "echo pulled-from-registry" }] };
  expect((await ada.post(`/v3/workflows/groups/${UNIQUE}/pipelines`, pipeline)).status).toBe(201);
  const event = (await ada.post(`/v3/workflows/groups/${UNIQUE}/pipelines/${id}/events`, {})).body.result;
  const runPath = `/v3/workflows/groups/${UNIQUE}/pipelines/${id}/runs/${event.uuid}`;
  const run = await waitForRun(ada, runPath, 120_000);
  const [execution] = (await ada.get(`${runPath}/executions`)).body.result;
  const log = (await ada.get(`${runPath}/executions/${execution.uuid}/logs`)).text;
  return { run, execution, log };
}

describe("container_run pulls its image with the starter's registry identity", () => {
  it("without an identity for the registry the pull is refused, naming the registry", async () => {
    const { run, execution } = await runPipeline("no-identity");
    expect(run.status).toBe("failed");
    expect(execution.message).toContain(`the registry ${registry.host} refused the pull of '${image}' with no credentials (unauthorized)`);
  });

  it("with one, the image is pulled, runs, and its id is the execution's image_digest and in the group's catalog", async () => {
    const identity = await ada.post("/v3/workflows/identities", { type: "registry", name: "lab-registry", host: registry.host, credentials: { username: registry.username, password: registry.password } });
    expect(identity.status).toBe(201);
    const { run, execution, log } = await runPipeline("with-identity");
    expect(run.status, log).toBe("succeeded");
    expect(log).toContain("pulled-from-registry");
    expect(log).toContain(`${registry.host} refused ${image} without credentials: pulling it as '${registry.username}'`);
    expect(log).not.toContain(registry.password);
    const id = execFileSync("podman", ["image", "inspect", "--format", "{{.Id}}", image], { encoding: "utf8" }).trim();
    expect(execution.image_digest).toBe(`sha256:${id.replace(/^sha256:/, "")}`);
    const manifest = await registry.manifestDigest(`${UNIQUE}/tool`, "v1");
    const catalog = (await ada.get(`/v3/workflows/groups/${UNIQUE}/images/resolve?ref=${encodeURIComponent(image)}`)).body.result;
    expect(catalog).toMatchObject({ digest: execution.image_digest, origin: "pulled", names: expect.arrayContaining([image, `${registry.host}/${UNIQUE}/tool@${manifest}`]) });
  });
});
