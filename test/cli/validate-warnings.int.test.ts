import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";

/**
 * `cairn validate`'s warnings through the built binary, with a private Podman service:
 * an image that is neither local nor pullable, params read but not declared, and "did
 * you mean" for a misspelt field. Warnings leave the exit code 0; errors make it 2.
 */

const repo = resolve(import.meta.dirname, "../..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
let scratch: string;
let podmanSocket: string;

function cairn(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: scratch,
    env: { PATH: process.env.PATH, HOME: scratch, CAIRN_DATA_DIR: join(scratch, "data"), CAIRN_PODMAN_SOCKET: podmanSocket },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-validate-"));
  podmanSocket = join(scratch, "podman", "podman.sock");
});

afterAll(async () => {
  await stopPodmanService(podmanSocket);
  await rm(scratch, { recursive: true, force: true });
});

describe("cairn validate warnings", () => {
  it("warns of an image that is not local and cannot be pulled, and of params read but not declared", async () => {
    const file = join(scratch, "warned.yaml");
    await writeFile(
      file,
      [
        "id: warned",
        "params:",
        "  known: { type: string, default: x }",
        "tasks:",
        "  - id: t",
        "    type: container_run",
        "    image: localhost/cairn-validate-no-such-image:1",
        '    command: ["true"]',
        "    input:",
        "      A: { type: string, value_from: { params: known } }",
        "      B: { type: string, value_from: { params: forgotten } }",
        "",
      ].join("\n"),
    );
    const r = await cairn(["validate", file]);
    expect(r.stdout).toContain("valid pipeline 'warned' with 1 task(s), 2 warning(s)");
    expect(r.stderr).toContain("warning: tasks[0].input.B.value_from: reads the param 'forgotten', which the pipeline's params do not declare: a run can never give it (declared: known)");
    expect(r.stderr).toContain("warning: tasks[0].image: image 'localhost/cairn-validate-no-such-image:1' is not in the local container engine, and a localhost/ image is never pulled");
    expect(r.code).toBe(0);

    const offline = await cairn(["validate", "--no-images", file]);
    expect(offline.stdout).toContain("1 warning(s)");
  });

  it("warns of an image on a registry that does not answer, with the engine's reason", async () => {
    const file = join(scratch, "unpullable.yaml");
    await writeFile(file, ["id: unpullable", "tasks:", "  - id: t", "    type: container_run", "    image: 127.0.0.1:9/nothing/here:1", ""].join("\n"));
    const r = await cairn(["validate", file]);
    expect(r.stderr).toContain("warning: tasks[0].image: image '127.0.0.1:9/nothing/here:1' is not available locally and cannot be pulled: ");
    expect(r.code).toBe(0);
  });

  it("suggests the nearest field for a misspelt one, as an error", async () => {
    const file = join(scratch, "typo.yaml");
    await writeFile(file, ["id: typo", "tasks:", "  - id: t", "    type: container_run", "    image: busybox", '    comand: ["true"]', ""].join("\n"));
    const r = await cairn(["validate", "--no-images", file]);
    expect(r.stderr).toContain("tasks[0].comand: unknown field 'comand'; did you mean 'command'?");
    expect(r.code).toBe(2);
  });
});
