import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
 * loopback port, plain HTTP, storage in a temp folder, basic auth from an htpasswd file
 * (bcrypt entries, as the registry accepts no other hash; written by apache2-utils'
 * `htpasswd -B`), or with `auth: false` open to anyone. Stopped by its PID.
 */

const run = promisify(execFile);
export const DOCKER_REGISTRY = "/usr/bin/docker-registry";

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry host as image references name it. */
  host: string;
  username: string;
  password: string;
  dir: string;
  /** The manifest digest the registry holds for repository:tag (HEAD of the manifest), or undefined when it has none. */
  manifestDigest(repository: string, tag: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function startRegistry(options: { username?: string; password?: string; auth?: boolean } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-registry-"));
  const username = options.username ?? "pusher";
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const htpasswd = (await run("htpasswd", ["-Bbn", username, password])).stdout;
  await writeFile(join(dir, "htpasswd"), htpasswd);
  const port = await freePort();
  const config = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "http:",
    `  addr: 127.0.0.1:${port}`,
    // Uploads are signed with it; a fixed one keeps the log free of its warning.
    `  secret: ${Math.random().toString(36).slice(2)}`,
    ...(options.auth === false ? [] : ["auth:", "  htpasswd:", "    realm: cairn-test-registry", `    path: ${join(dir, "htpasswd")}`]),
  ].join("\n");
  await writeFile(join(dir, "config.yml"), config + "\n");
  const child = spawn(DOCKER_REGISTRY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const host = `127.0.0.1:${port}`;
  await waitForHttp(`http://${host}/v2/`, child, () => stderr);
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  return {
    host,
    username,
    password,
    dir,
    async manifestDigest(repository, tag) {
      const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
          authorization: auth,
          accept: [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
          ].join(", "),
        },
      });
      return response.ok ? (response.headers.get("docker-content-digest") ?? undefined) : undefined;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Any HTTP answer (401 without credentials) means it is serving. */
async function waitForHttp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    const answered = await fetch(url).then(
      () => true,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer at ${url} within 10 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
