import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopPodmanService } from "../../packages/cairn/src/docker-api/engine-endpoint.js";

/**
 * `--attach` through the built CLI: a local run, and a 1 GiB file moved through a real
 * `cairn server` process into a container that checksums it and writes it back to its
 * /outbox, downloaded again as a results zip, with the server's peak memory (VmHWM)
 * read from /proc. Needs `npm run build` first (npm test does it).
 */

const repo = resolve(import.meta.dirname, "../..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
const W = "/v3/workflows";
const GIB = 1024 ** 3;
const PEAK_RSS_LIMIT = 300 * 1024 * 1024;

let scratch: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The CLI process's peak RSS as last read from /proc while it ran (VmHWM only grows). */
  peakRss: number;
}

function cairn(args: string[], env: Record<string, string> = {}, cwd = scratch): Promise<Result> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: join(scratch, "home"), XDG_CONFIG_HOME: join(scratch, "config"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  let peak = 0;
  const sampler = setInterval(() => {
    peakRss(child.pid!).then((p) => (peak = Math.max(peak, p)), () => undefined);
  }, 100);
  return new Promise((done) =>
    child.on("close", (code) => {
      clearInterval(sampler);
      done({ code, stdout, stderr, peakRss: peak });
    }),
  );
}

/** Peak resident memory of a process, from the kernel's own count. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** Writes `bytes` of pseudo-random data as a stream (1 MiB of randomness repeated, shifted per block) and returns its sha256. */
async function writeBigFile(path: string, bytes: number): Promise<string> {
  const block = randomBytes(1024 * 1024);
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  for (let written = 0, i = 0; written < bytes; written += block.length, i++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32BE(i, 0); // no two blocks alike
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return hash.digest("hex");
}

/** The size and sha256 of each entry of a zip on disk, streamed. */
async function zipDigests(path: string): Promise<Map<string, { size: number; sha256: string }>> {
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.open(path, { lazyEntries: true }, (err, z) => (err ? fail(err) : ok(z!))));
  const found = new Map<string, { size: number; sha256: string }>();
  await new Promise<void>((ok, fail) => {
    zip.on("entry", (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err);
        const hash = createHash("sha256");
        let size = 0;
        stream!.on("data", (c: Buffer) => {
          size += c.length;
          hash.update(c);
        });
        stream!.on("end", () => {
          found.set(entry.fileName, { size, sha256: hash.digest("hex") });
          zip.readEntry();
        });
        stream!.on("error", fail);
      }),
    );
    zip.on("end", ok);
    zip.on("error", fail);
    zip.readEntry();
  });
  zip.close();
  return found;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-cli-attach-"));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("cairn run FILE --attach", () => {
  it("puts files and folders in every task's inbox, TASK=PATH in one task's, and refuses what is not there", async () => {
    await mkdir(join(scratch, "local", "folder", "deep"), { recursive: true });
    await writeFile(join(scratch, "local", "notes.txt"), "for everyone\n");
    await writeFile(join(scratch, "local", "folder", "deep", "x.txt"), "deep file\n");
    await writeFile(join(scratch, "local", "mine.txt"), "only for a\n");
    const code = (text: string) => Buffer.from(text).toString("base64");
    const pipeline = {
      id: "local-attach",
      execution_profile: { runtime: "host" },
      tasks: [
        { id: "a", type: "function", runtime: "bash", code: code('cat "$CAIRN_INBOX_DIR/notes.txt" "$CAIRN_INBOX_DIR/mine.txt" "$CAIRN_INBOX_DIR/folder/deep/x.txt"; echo out > "$CAIRN_OUTBOX_DIR/r.txt"') },
        { id: "b", type: "function", runtime: "bash", code: code('ls "$CAIRN_INBOX_DIR"') },
      ],
    };
    const file = join(scratch, "local", "pipeline.json");
    await writeFile(file, JSON.stringify(pipeline));
    const dataDir = join(scratch, "local-data");
    // Relative paths are taken from the working directory, as a shell user expects.
    const inFolder = await cairn(["--data-dir", dataDir, "run", file, "--attach", "notes.txt", "--attach", "folder", "--attach", "a=mine.txt"], {}, join(scratch, "local"));
    expect(inFolder.code, inFolder.stdout + inFolder.stderr).toBe(0);
    expect(inFolder.stdout).toContain("for everyone");
    expect(inFolder.stdout).toContain("only for a");
    expect(inFolder.stdout).toContain("deep file");
    // b sees the run-wide files only.
    expect(inFolder.stdout).toMatch(/b\s*\|\s*folder/);
    expect(inFolder.stdout).not.toMatch(/b\s*\|\s*mine\.txt/);

    const missing = await cairn(["--data-dir", dataDir, "run", file, "--attach", "notes.txt"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--attach[\s\S]*notes\.txt: no such file/);
    const badTask = await cairn(["--data-dir", dataDir, "run", file, "--attach", `nope=${join(scratch, "local", "mine.txt")}`]);
    expect(badTask.code).toBe(2);
    expect(badTask.stderr).toMatch(/no task 'nope'/);
  }, 60_000);
});

describe("a 1 GiB attachment through `cairn server`", () => {
  let dataDir: string;
  let server: ChildProcess;
  let output = "";
  let url: string;
  let token: string;

  beforeAll(async () => {
    dataDir = join(scratch, "server-data");
    const env: NodeJS.ProcessEnv = { ...process.env, CAIRN_ADMIN_PASSWORD: "big-admin-password", CAIRN_PORT: "", CAIRN_DATA_KEY: "" };
    delete env.CAIRN_DATABASE_URL;
    server = spawn(process.execPath, [bin, "--data-dir", dataDir, "server", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!/listening on (http:\/\/\S+)/.test(output)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    url = /listening on (http:\/\/[^\s,]+)/.exec(output)![1]!;
    const login = await fetch(`${url}/v3/oauth2/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "big-admin-password", grant_type: "password" }),
    });
    token = ((await login.json()) as any).result.access_token.access_token;
    const post = (path: string, body: unknown) =>
      fetch(url + path, { method: "POST", headers: { "content-type": "application/json", "x-tapis-token": token }, body: JSON.stringify(body) });
    expect((await post(`${W}/groups`, { id: "lab" })).status).toBe(201);
    const pipeline = {
      id: "big",
      execution_profile: { max_exec_time: 600 },
      tasks: [
        {
          id: "sum",
          type: "container_run",
          image: "localhost/busybox:test",
          command: ["sh", "-c", "sha256sum /inbox/big.bin | cut -d' ' -f1 | tee /outbox/big.sha256 && cp /inbox/big.bin /outbox/big.bin"],
        },
      ],
    };
    const created = await post(`${W}/groups/lab/pipelines`, pipeline);
    expect(created.status, await created.text()).toBe(201);
  }, 60_000);
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await once(server, "exit");
    }
    if (dataDir) await stopPodmanService(join(dataDir, "podman", "podman.sock"));
  });

  it("reports the server's refusal of an attachment with the part it names (exit 2), and starts nothing", async () => {
    const small = join(scratch, "small.txt");
    await writeFile(small, "small\n");
    const refused = await cairn(["run", "lab/big", "--attach", `nope=${small}`], { CAIRN_SERVER: url, CAIRN_TOKEN: token });
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/part 'task:nope'.*no task 'nope'/);
    const runs = await fetch(`${url}${W}/groups/lab/pipelines/big/runs`, { headers: { "x-tapis-token": token } });
    expect(((await runs.json()) as any).result).toEqual([]);
  }, 60_000);

  it("goes in and comes back out as a result zip, with the server under 300 MB of peak memory", async () => {
    const big = join(scratch, "big.bin");
    const started = Date.now();
    const sha256 = await writeBigFile(big, GIB);
    const generated = Date.now();
    const env = { CAIRN_SERVER: url, CAIRN_TOKEN: token };
    const run = await cairn(["run", "lab/big", "--attach", big, "--follow"], env);
    const ran = Date.now();
    await rm(big);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(sha256);
    const uuid = /run ([0-9a-f-]{36})/.exec(run.stdout)![1]!;

    const zip = join(scratch, "results.zip");
    const download = await cairn(["results", uuid, "-o", zip], env);
    const downloaded = Date.now();
    expect(download.code, download.stderr).toBe(0);
    const entries = await zipDigests(zip);
    await rm(zip);
    expect(entries.get("sum/outbox/big.bin")).toEqual({ size: GIB, sha256 });
    expect(entries.get("sum/outbox/big.sha256")?.size).toBe(65);

    const peak = await peakRss(server.pid!);
    const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
    console.log(
      `1 GiB: generated in ${generated - started} ms; uploaded, checksummed and copied in ${ran - generated} ms; ` +
        `zip downloaded in ${downloaded - ran} ms; peak RSS: server ${mib(peak)} MiB, ` +
        `\`cairn run --attach\` ${mib(run.peakRss)} MiB, \`cairn results\` ${mib(download.peakRss)} MiB`,
    );
    expect(peak).toBeLessThan(PEAK_RSS_LIMIT);
    // The client streams too: the file is sent from disk, the zip written as it arrives.
    expect(run.peakRss).toBeLessThan(PEAK_RSS_LIMIT);
    expect(download.peakRss).toBeLessThan(PEAK_RSS_LIMIT);
  }, 600_000);
});
