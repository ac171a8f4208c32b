import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, type TestServer } from "../support/api-server.js";

/**
 * Issue 21, finding 6: 80 concurrent bad log-ins slowed a real log-in to 1.2 s, since
 * every attempt hashed its password (scrypt, CPU-bound) in arrival order. Here a real
 * server with the real scrypt takes 100 concurrent bad log-ins, sent again as soon as
 * they are answered, from another thread, while a real user logs in to another account.
 *
 * The machine running the tests is shared and its load varies a lot (one scrypt took
 * from 190 to 790 ms on the 2-core CI box), so the test compares a real log-in under
 * attack with the same log-in just before and just after it, and requires the attack to
 * add less than 200 ms (median of the samples), or a quarter of the quiet log-in time
 * when that is more: at a load of 15 on 2 cores a quiet log-in took 650-950 ms and the
 * medians of two quiet series differed by up to 150 ms. Before the limits, the attack
 * added seconds. The figures are printed.
 *
 * The attackers run in a process of their own at nice 19: a real attacker's CPU is not
 * the server's, and here both share two cores.
 */

const ATTACKERS = 100;
const ATTACK_MS = 3000;
const SAMPLES = 5;
const MAX_ADDED_MS = 200;
/** A log-in slower than this fails the test at once (before the limits, one took 41 s under attack). */
const LOG_IN_TIMEOUT_MS = 10_000;

let server: TestServer;
let anon: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  anon = new ApiClient(server.url);
  await newUser(anon, "victim");
  await newUser(anon, "real-user");
});
afterAll(async () => {
  await server?.close();
});
/** The attackers of a test that failed midway. */
let stopAttack: (() => void) | undefined;
afterEach(() => {
  stopAttack?.();
  stopAttack = undefined;
});

describe("a real log-in under 100 concurrent bad log-ins", () => {
  it("from 100 addresses on one account: the attack adds less than 200 ms", async () => {
    await expectLittleDelay({ addresses: ATTACKERS, logins: ["victim"] });
  });

  it("from one address on 100 logins, known or not: the attack adds less than 200 ms", async () => {
    await expectLittleDelay({ addresses: 1, logins: ["victim", ...Array.from({ length: ATTACKERS - 1 }, (_, i) => `nobody-${i}`)] });
  });
});

/**
 * Up to ROUNDS measurements, passing on the first whose added delay is within bounds: a
 * load spike of the shared machine during one round (seen in a clean-clone run beside
 * other jobs: 573 ms against 379 ms) says nothing of Cairn, while the unbounded hashing
 * this guards against added seconds to every round.
 */
const ROUNDS = 3;

async function expectLittleDelay(attack: { addresses: number; logins: string[] }): Promise<void> {
  let added = Infinity;
  let bound = MAX_ADDED_MS;
  for (let round = 1; round <= ROUNDS && added >= bound; round++) ({ added, bound } = await measureAddedDelay(attack));
  expect(added).toBeLessThan(bound);
}

async function measureAddedDelay(attack: { addresses: number; logins: string[] }): Promise<{ added: number; bound: number }> {
  const before = await timeLogIns(SAMPLES);
  const attacker = startAttack(server.url, attack);
  // Let the first wave arrive before measuring.
  await sleep(300);
  const during = await timeLogIns(SAMPLES, ATTACK_MS / SAMPLES);
  const statuses = await attacker.stop();
  const after = await timeLogIns(SAMPLES);
  const quiet = median([...before, ...after]);
  const loaded = median(during);
  console.log(
    `real log-in, ${ATTACKERS} attackers from ${attack.addresses} address(es): median ${loaded.toFixed(0)} ms under attack (max ${Math.max(...during).toFixed(0)}) ` +
      `vs ${quiet.toFixed(0)} ms without; attackers' answers ${JSON.stringify(statuses)}`,
  );
  // The attack did happen, and was mostly refused without a hash.
  expect(statuses["429"] ?? 0).toBeGreaterThan(ATTACKERS);
  return { added: loaded - quiet, bound: Math.max(MAX_ADDED_MS, quiet / 4) };
}

/** Logs in as the real user `count` times, `gapMs` apart, from 127.0.0.1; the latency of each, in ms. */
async function timeLogIns(count: number, gapMs = 50): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await fetch(`${server.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "real-user", password: "real-user-password-123" }),
      signal: AbortSignal.timeout(LOG_IN_TIMEOUT_MS),
    });
    await answer.arrayBuffer();
    times.push(performance.now() - started);
    expect(answer.status).toBe(200);
    await sleep(gapMs);
  }
  return times;
}

/**
 * 100 loops, each sending a bad log-in as soon as the last is answered, from
 * 127.0.1.1... (Linux answers the whole 127/8 on loopback). Ignores Retry-After, as an
 * attacker would.
 */
function startAttack(url: string, attack: { addresses: number; logins: string[] }): { stop(): Promise<Record<string, number>> } {
  const code = `
    const http = require("node:http");
    const { url, attackers, addresses, logins } = JSON.parse(process.argv[1]);
    const target = new URL(url);
    const agents = Array.from({ length: addresses }, (_, i) => new http.Agent({ keepAlive: true, localAddress: "127.0.1." + (i + 1) }));
    const statuses = {};
    let running = true;
    function once(i) {
      if (!running) return Promise.resolve();
      const body = JSON.stringify({ login: logins[i % logins.length], password: "guess-" + Math.random() });
      return new Promise((resolve) => {
        const req = http.request(
          { host: target.hostname, port: target.port, path: "/login", method: "POST", agent: agents[i % addresses], headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
          (res) => { res.resume(); res.on("end", () => { statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); }); },
        );
        req.on("error", () => { statuses.error = (statuses.error || 0) + 1; resolve(); });
        req.end(body);
      }).then(() => once(i));
    }
    const loops = Array.from({ length: attackers }, (_, i) => once(i));
    process.on("message", async () => {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
      process.send(statuses, () => process.exit(0));
    });
  `;
  const child = spawn(process.execPath, ["-e", code, JSON.stringify({ url, attackers: ATTACKERS, addresses: attack.addresses, logins: attack.logins })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  setPriority(child.pid!, 19);
  stopAttack = () => child.kill();
  return {
    async stop() {
      const statuses = new Promise<Record<string, number>>((resolve, reject) => {
        child.once("message", (m) => resolve(m as Record<string, number>));
        child.once("exit", (code) => reject(new Error(`the attackers' process ended (${code}) without its figures`)));
      });
      child.send("stop");
      const figures = await statuses;
      stopAttack = undefined;
      return figures;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
