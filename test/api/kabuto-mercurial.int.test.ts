import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEgressAllow } from "../../packages/cairn/src/net/egress-allow.js";
import { ApiClient, newUser, startTestServer, type TestServer } from "../support/api-server.js";
import { startHgServer, type TestHgServer } from "../support/hg-server.js";

/**
 * Kabuto's `POST /image` with `repo_url`, which kabuto-api.txt documents as a Mercurial
 * repository: cloned with hg from a real `hg serve` on loopback, built on Podman, and
 * recorded in the catalog with the changeset it was built from.
 */

const LOGIN = "hgbuilder";
const OUR_NAMESPACE = `localhost/cairn/u--${LOGIN}/`;
let hg: TestHgServer;
let server: TestServer;
let user: ApiClient;
let changeset: string;

beforeAll(async () => {
  hg = await startHgServer();
  changeset = await hg.commit({ "Dockerfile": 'FROM localhost/busybox:test\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n', "hello.txt": "from mercurial\n" });
  // The hg server is on loopback, which only an operator's allow list opens.
  server = await startTestServer({ overrides: { egressAllow: parseEgressAllow(`127.0.0.1:${new URL(hg.url).port}`) } });
  user = await newUser(new ApiClient(server.url), LOGIN);
});

afterAll(async () => {
  await server?.close();
  await hg?.close();
  const names = execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" })
    .split("\n")
    .filter((n) => n.startsWith(OUR_NAMESPACE));
  if (names.length > 0) execFileSync("podman", ["rmi", "--force", ...names], { stdio: "ignore" });
});

async function waitForBuild(id: string): Promise<any> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await user.get(`/image/build/${id}`);
    if (res.status !== 200) throw new Error(`GET /image/build/${id}: ${res.status} ${res.text}`);
    if (res.body.state !== "PENDING") return res.body;
    if (Date.now() > deadline) throw new Error(`build ${id} still PENDING`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("POST /image with a Mercurial repo_url", () => {
  it("clones with hg, builds, and records the changeset as the image's provenance", async () => {
    const created = await user.post("/image", { name: "from-hg", repo_url: hg.url });
    expect(created.status, created.text).toBe(201);
    const build = await waitForBuild(created.body.build_id);
    expect(build.state, build.output).toBe("SUCCESS");
    const image = await user.get(`/v3/workflows/groups/~${LOGIN}/images/${build.id}`);
    expect(image.status, image.text).toBe(200);
    expect(image.body.result.recipe).toMatchObject({ source: "mercurial", git_url: hg.url, commit: changeset, branch: "default", dockerfile: "Dockerfile" });
    expect(execFileSync("podman", ["run", "--rm", build.id], { encoding: "utf8" })).toBe("from mercurial\n");
  });

  it("says so when the URL holds no Mercurial repository", async () => {
    const created = await user.post("/image", { name: "not-hg", repo_url: `${hg.url}no/such/repo` });
    expect(created.status).toBe(201);
    const build = await waitForBuild(created.body.build_id);
    expect(build.state).toBe("FAILED");
    expect(build.output).toMatch(/no Mercurial repository at|could not clone/);
  });
});
