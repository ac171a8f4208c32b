import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePorts } from "./free-port.js";

/**
 * A real S3 endpoint for tests: OpenStack Swift from Debian with its s3api middleware,
 * which verifies request signatures (infra-recipes.md 4b). Account, container, object and
 * proxy servers plus memcached, each on a free loopback port, all files in one temp folder,
 * each process stopped by its PID. About 4 s to start.
 *
 *   const swift = await startSwift();
 *   await swift.createBucket("results");   // then endpoint, accessKeyId, secretAccessKey
 *   await swift.close();
 */

const run = promisify(execFile);
// Debian's python3, where python3-swift lives (a pyenv python on PATH would not have it).
const PYTHON = "/usr/bin/python3";
const SERVERS = ["account", "container", "object"] as const;

export interface TestSwift {
  /** `http://127.0.0.1:PORT` of the proxy, which speaks S3. */
  endpoint: string;
  region: string;
  /** tempauth's `account:user`, which s3api takes as the access key id. */
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  /** An S3 client with the settings these servers need (infra-recipes.md section 4). */
  client(): S3Client;
  /** Creates a bucket (a Swift container) through the S3 API itself. */
  createBucket(name: string): Promise<void>;
  /**
   * Adds a user of the account or changes its secret (restarting the proxy, about a
   * second); returns its access key id. Buckets are the account's, shared by its users.
   */
  setUser(name: string, secret: string): Promise<string>;
  /** Every object under the prefix, keyed by the rest of its key, with its content. */
  objects(bucket: string, prefix?: string): Promise<Record<string, Buffer>>;
  close(): Promise<void>;
}

export async function startSwift(): Promise<TestSwift> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-swift-"));
  const children: ChildProcess[] = [];
  // A test process that dies without close() must not leave servers behind.
  const killAll = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
  process.once("exit", killAll);
  try {
    const etc = join(dir, "etc");
    await Promise.all([mkdir(etc), mkdir(join(dir, "node", "d1"), { recursive: true }), mkdir(join(dir, "log"))]);
    const [proxyPort, memcachedPort, ...serverPorts] = await freePorts(2 + SERVERS.length);
    const ports = Object.fromEntries(SERVERS.map((s, i) => [s, serverPorts[i]!])) as Record<(typeof SERVERS)[number], number>;
    const user = userInfo().username;
    const secretAccessKey = randomBytes(12).toString("hex");
    const region = "us-east-1";

    await writeFile(join(etc, "swift.conf"), ini({
      "swift-hash": { swift_hash_path_suffix: randomBytes(8).toString("hex"), swift_hash_path_prefix: randomBytes(8).toString("hex") },
      "storage-policy:0": { name: "Policy-0", default: "yes" },
    }));
    const common = { swift_dir: etc, bind_ip: "127.0.0.1", workers: "0", user, log_facility: "LOG_LOCAL0", log_level: "WARNING" };
    for (const server of SERVERS) {
      await writeFile(join(etc, `${server}-server.conf`), ini({
        DEFAULT: { ...common, bind_port: String(ports[server]), devices: join(dir, "node"), mount_check: "false", disable_fallocate: "true" },
        "pipeline:main": { pipeline: `${server}-server` },
        [`app:${server}-server`]: { use: `egg:swift#${server}` },
      }));
    }
    const filters = ["catch_errors", "gatekeeper", "healthcheck", "cache", "listing_formats", "bulk", "copy", "slo", "dlo"];
    // tempauth users of account `cairn`, by name, with their secrets.
    const users: Record<string, string> = { archiver: secretAccessKey };
    const writeProxyConfig = () => writeFile(join(etc, "proxy-server.conf"), ini({
      DEFAULT: { ...common, bind_port: String(proxyPort) },
      "pipeline:main": { pipeline: "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server" },
      "app:proxy-server": { use: "egg:swift#proxy", account_autocreate: "true" },
      ...Object.fromEntries(filters.map((f) => [`filter:${f}`, { use: `egg:swift#${f}` }])),
      "filter:proxy-logging": { use: "egg:swift#proxy_logging" },
      "filter:cache": { use: "egg:swift#memcache", memcache_servers: `127.0.0.1:${memcachedPort}` },
      "filter:s3api": { use: "egg:swift#s3api", location: region },
      // s3api takes `account:user` as the access key id and the password as the secret.
      "filter:tempauth": { use: "egg:swift#tempauth", ...Object.fromEntries(Object.entries(users).map(([name, secret]) => [`user_cairn_${name}`, `${secret} .admin`])) },
    }));
    await writeProxyConfig();
    await buildRings(etc, ports);

    const start = (name: string, command: string, args: string[]) => {
      const log = createWriteStream(join(dir, "log", `${name}.log`));
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      children.push(child);
      return child;
    };
    // Foreground (no -d), so the child's PID is memcached's own.
    start("memcached", "memcached", ["-u", "nobody", "-l", "127.0.0.1", "-p", String(memcachedPort), "-U", "0", "-m", "16"]);
    for (const server of SERVERS) start(server, `swift-${server}-server`, [join(etc, `${server}-server.conf`)]);
    let proxy = start("proxy", "swift-proxy-server", [join(etc, "proxy-server.conf")]);
    const endpoint = `http://127.0.0.1:${proxyPort}`;
    await waitHealthy(endpoint, children, dir);
    // The proxy answers its healthcheck before the storage servers listen.
    for (const server of SERVERS) await waitHealthy(`http://127.0.0.1:${ports[server]}`, children, dir, "/healthcheck", true);

    const accessKeyId = "cairn:archiver";
    const client = () => new S3Client({ region, endpoint, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
    return {
      endpoint,
      region,
      accessKeyId,
      secretAccessKey,
      dir,
      client,
      async createBucket(name) {
        const s3 = client();
        try {
          await s3.send(new CreateBucketCommand({ Bucket: name }));
        } finally {
          s3.destroy();
        }
      },
      async setUser(name, secret) {
        users[name] = secret;
        await writeProxyConfig();
        // tempauth reads its users at start: the proxy is restarted on the same port.
        children.splice(children.indexOf(proxy), 1);
        await stopAll([proxy]);
        proxy = start("proxy", "swift-proxy-server", [join(etc, "proxy-server.conf")]);
        await waitHealthy(endpoint, children, dir);
        return `cairn:${name}`;
      },
      async objects(bucket, prefix = "") {
        const s3 = client();
        try {
          const found: Record<string, Buffer> = {};
          let token: string | undefined;
          do {
            const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            for (const o of page.Contents ?? []) {
              const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
              found[o.Key!.slice(prefix.length)] = Buffer.from(await got.Body!.transformToByteArray());
            }
            token = page.NextContinuationToken;
          } while (token);
          return found;
        } finally {
          s3.destroy();
        }
      },
      async close() {
        process.off("exit", killAll);
        await stopAll(children);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.off("exit", killAll);
    await stopAll(children);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The three rings, one device each, built in one Python process with Swift's own
 * RingBuilder: `swift-ring-builder` (create, add, rebalance per ring) took 7.2 s for the
 * three, mostly Python starting nine times.
 */
async function buildRings(etc: string, ports: Record<(typeof SERVERS)[number], number>): Promise<void> {
  const script = [
    "import json, sys",
    "from swift.common.ring import RingBuilder",
    "etc, ports = sys.argv[1], json.loads(sys.argv[2])",
    "for name, port in ports.items():",
    "    b = RingBuilder(6, 1, 1)",
    "    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port, 'device': 'd1', 'weight': 100, 'meta': ''})",
    "    b.rebalance()",
    "    b.get_ring().save(f'{etc}/{name}.ring.gz')",
  ].join("\n");
  await run(PYTHON, ["-c", script, etc, JSON.stringify(ports)]);
}

async function waitHealthy(base: string, children: ChildProcess[], dir: string, path = "/healthcheck", anyAnswer = false): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`a Swift process (${dead.spawnargs.join(" ")}) exited with ${dead.exitCode}; logs in ${dir}/log:\n${await logs(dir)}`);
    try {
      const response = await fetch(base + path);
      await response.arrayBuffer();
      if (anyAnswer || response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Swift at ${base} was not healthy within 30 s; logs:\n${await logs(dir)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function logs(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ["memcached", ...SERVERS, "proxy"]) parts.push(`--- ${name}\n${await readFile(join(dir, "log", `${name}.log`), "utf8").catch(() => "")}`);
  return parts.join("\n");
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function ini(sections: Record<string, Record<string, string>>): string {
  return Object.entries(sections)
    .map(([name, values]) => `[${name}]\n${Object.entries(values).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`)
    .join("\n");
}
