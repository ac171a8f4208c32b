import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { API_WORKLOADS, apiBlocker, apiPlan, measureApiRead, measureTriggerLatency, prepareServer, runApiSession, startServerProcess, type ApiStoreSession, type ApiWorkloadName } from "./api-workloads.js";
import { cacheNotes, measureCacheWorkloads, type CacheRow } from "./cache-workloads.js";
import { summariseProfile, type CpuProfile, type ProfileSummary } from "./cpu-profile.js";
import { describeMachine, measuredEnvironment, which } from "./environment.js";
import { BenchError, measureCairn, type CairnMeasurement } from "./measure.js";
import { startPodmanService, type PodmanService } from "./podman-service.js";
import { runCrashLoop } from "./crash-loop.js";
import { containerWorkloadBlocker, ensureHostTools } from "./preflight.js";
import { postgresBlocker, startPostgres } from "./postgres.js";
import { renderCacheText, renderMarkdown, renderTextTable, type ApiRow, type BenchReport, type PendingRow, type ResultRow } from "./report.js";
import { overheadPerTaskMs, ratio, spread } from "./stats.js";
import { checkTargets, describeCheck } from "./targets.js";
import { TRIGGER_WORKLOADS, runTriggerWorkloads, type TriggerWorkloadName } from "./trigger-workloads.js";
import { runSlurmWorkloads, SLURM_WORKLOAD } from "./slurm-workloads.js";
import { suite, type Workload } from "./workloads.js";
import { fanOutNotes, fanOutWorkloads } from "./fan-out-workloads.js";

/**
 * `npm run bench`: runs every workload, Cairn and its baseline alternately, prints the
 * table and writes bench/results/latest.{json,md}. `--profile NAME` instead runs one
 * workload's Cairn side under `node --cpu-prof` and says where the engine's time went.
 */

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url));
const RESULTS = join(REPOSITORY, "bench", "results");

const USAGE = `usage: node bench/run.mjs [options]
  --quick           small sizes and fewer repeats (under 2 minutes)
  --only a,b        only these workloads (names as in the table; trigger-latency and api-read for the API ones, cache-hit for the task cache, slurm for the tapis_job ones)
  --repeats N       runs per workload, overriding the defaults
  --parallel N      CAIRN_MAX_PARALLEL_TASKS and make -jN (default 2)
  --profile NAME    run NAME's Cairn side once under node --cpu-prof and summarise the profile
  --scale           issue 15: fan-1000 through 1/2/3 processes on PostgreSQL against SQLite, takeover after kill -9, claim throughput
  --crash-loop      kill -9 a real server 10 times while 50 runs go through it; count the runs lost
`;

/** The name `--only` knows the task cache's figures by. */
const CACHE_WORKLOAD = "cache-hit";

interface Context {
  scratch: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        repeats: { type: "string" },
        parallel: { type: "string", default: "2" },
        profile: { type: "string" },
        "crash-loop": { type: "boolean", default: false },
        scale: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await runCommand(args);
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

interface Options {
  quick: boolean;
  only?: string;
  repeats?: string;
  parallel: string;
  profile?: string;
  "crash-loop": boolean;
  scale: boolean;
}

async function runCommand(args: Options): Promise<number> {
  const parallel = positiveInt("--parallel", args.parallel);
  const repeats = args.repeats === undefined ? undefined : positiveInt("--repeats", args.repeats);
  const env = measuredEnvironment(process.env, { CAIRN_MAX_PARALLEL_TASKS: String(parallel) });
  ensureHostTools(env);

  const scratch = await mkdtemp(join(tmpdir(), "cairn-bench-"));
  const ctx: Context = { scratch, env, log: (line) => process.stdout.write(`${line}\n`) };
  try {
    if (args.scale) {
      const { runScaleWorkloads } = await import("./scale-workloads.js");
      await runScaleWorkloads({ fanWidth: 1000, kills: 20, claimRuns: 200, leaseSeconds: Number(process.env.CAIRN_LEASE_SECONDS ?? 10), log: ctx.log });
      return 0;
    }
    if (args["crash-loop"]) {
      const result = await runCrashLoop({ runs: repeats ?? 50, kills: 10, log: ctx.log });
      ctx.log(
        `crash-loop: ${result.submitted} runs submitted, ${result.kills} kill -9, ${result.lost} lost; ` +
          `the server lists ${result.listed} runs, ${result.succeeded} succeeded (${Math.round(result.seconds)} s)`,
      );
      return result.lost === 0 ? 0 : 1;
    }
    if (args.profile !== undefined) {
      if (isApiWorkload(args.profile)) {
        await profileApiWorkload(args.profile, ctx);
        return 0;
      }
      const workload = [...suite({ quick: false, parallel, repeats }), ...fanOutWorkloads({ quick: false, parallel, repeats })].find((w) => w.name === args.profile);
      if (!workload) throw new BenchError(`no workload named '${args.profile}'`);
      await profileWorkload(workload, ctx);
      return 0;
    }
    let workloads = [...suite({ quick: args.quick, parallel, repeats }), ...fanOutWorkloads({ quick: args.quick, parallel, repeats })];
    let api: ApiWorkloadName[] = [...API_WORKLOADS];
    let triggers: TriggerWorkloadName[] = [...TRIGGER_WORKLOADS];
    let wantCache = true;
    if (args.only !== undefined) {
      const wanted = new Set(args.only.split(",").map((s) => s.trim()));
      wantCache = wanted.has(CACHE_WORKLOAD);
      const known = [...workloads.map((w) => w.name), ...API_WORKLOADS, ...TRIGGER_WORKLOADS, CACHE_WORKLOAD, SLURM_WORKLOAD];
      const unknown = [...wanted].filter((name) => !known.includes(name));
      if (unknown.length > 0) throw new BenchError(`no workload named ${unknown.join(", ")}; there are ${known.join(", ")}`);
      workloads = workloads.filter((w) => wanted.has(w.name));
      api = api.filter((name) => wanted.has(name));
      triggers = triggers.filter((name) => wanted.has(name));
    }
    const report = await runSuite(workloads, api, wantCache, args.quick ? "quick" : "full", parallel, ctx, args.only, triggers);
    ctx.log("");
    ctx.log(renderTextTable(report.rows, report.pending, report.api));
    ctx.log("");
    if (report.cache !== undefined && report.cache.length > 0) {
      ctx.log(renderCacheText(report.cache));
      ctx.log("");
    }
    for (const note of report.notes) ctx.log(note);
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, "latest.json"), JSON.stringify(report, null, 2) + "\n");
    await writeFile(join(RESULTS, "latest.md"), renderMarkdown(report));
    ctx.log(`\nwritten: bench/results/latest.json, bench/results/latest.md (${Math.round(report.durationSeconds)} s)`);
    // Written in full first; then the exit status says whether every workload that could run did.
    return report.pending.some((p) => p.failed) ? 1 : 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runSuite(
  workloads: Workload[],
  api: ApiWorkloadName[],
  wantCache: boolean,
  mode: "full" | "quick",
  parallel: number,
  ctx: Context,
  only: string | undefined,
  triggers: readonly TriggerWorkloadName[] = [],
): Promise<BenchReport> {
  const started = Date.now();
  const loadAverageStart = loadavg()[0]!;
  const rows: ResultRow[] = [];
  const pending: PendingRow[] = [];
  const failures: string[] = [];
  const containerBlocker = workloads.some((w) => w.needsPodman) ? containerWorkloadBlocker(ctx.env) : undefined;
  for (const workload of workloads) {
    if (workload.needsPodman && containerBlocker !== undefined) {
      ctx.log(`${workload.name}: ${containerBlocker}`);
      pending.push({ workload: workload.name, reason: containerBlocker });
      continue;
    }
    try {
      rows.push(...(await measureWorkload(workload, ctx)));
    } catch (err) {
      // A failed Cairn run is a finding, not a reason to lose the other workloads' figures.
      const message = err instanceof Error ? err.message : String(err);
      ctx.log(`${workload.name}: FAILED: ${message}`);
      pending.push({ workload: workload.name, reason: `FAILED: ${shorten(firstLine(message), 100)} (see the notes)`, failed: true });
      failures.push(`FAILED: ${workload.name}: ${firstLine(message)}`);
    }
  }
  const apiResults = await runApiWorkloads(api, mode === "quick", ctx);
  pending.push(...apiResults.pending);
  const triggerResults = await runTriggerWorkloads(triggers, mode === "quick", { scratch: ctx.scratch, env: ctx.env }, ctx.log).catch((err: unknown) => ({
    rows: [],
    pending: triggers.map((w) => ({ workload: `${w} (SQLite)`, reason: `FAILED: ${shorten(firstLine(err instanceof Error ? err.message : String(err)), 160)}`, failed: true })),
  }));
  apiResults.rows.push(...triggerResults.rows);
  pending.push(...triggerResults.pending);
  // tapis_job on a private Slurm (issue 16): figures as notes, or pending rows saying why not.
  const slurm = only === undefined || only.split(",").map((s) => s.trim()).includes(SLURM_WORKLOAD) ? await runSlurmWorkloads({ scratch: ctx.scratch, quick: mode === "quick", log: ctx.log }) : { notes: [], pending: [] };
  pending.push(...slurm.pending);
  const cache = wantCache ? await runCacheWorkloads(mode === "quick", parallel, ctx, pending, failures) : [];
  const notes = [...failures, ...scalingNotes(rows), ...fanOutNotes(rows), ...checkTargets(rows, apiResults.rows).map(describeCheck), ...cacheNotes(cache), ...slurm.notes];
  return {
    date: new Date(started).toISOString(),
    mode,
    durationSeconds: (Date.now() - started) / 1000,
    machine: describeMachine(loadAverageStart),
    settings: {
      "parallel tasks": `${parallel} (CAIRN_MAX_PARALLEL_TASKS for Cairn, make -j${parallel})`,
      store: "SQLite in a fresh data dir per Cairn run, under " + tmpdir(),
      "Cairn wall time": "startRun until the run's final state, in the engine's own process (Node.js start-up and store opening excluded: details.openMs, details.processMs)",
      "task PATH": ctx.env.PATH ?? "",
      python3: which("python3", ctx.env) ?? "missing",
      "API workloads": "a Cairn server in its own Node.js process on a fresh data dir (SQLite), or on a private PostgreSQL 15 with its default durability; the load from the suite's process",
      ...(only !== undefined ? { "workloads run": only } : {}),
    },
    rows,
    api: apiResults.rows,
    pending,
    notes,
    cache,
  };
}

/** The task cache's figures; a failure is a finding like a failed workload, and the other figures stay. */
async function runCacheWorkloads(quick: boolean, parallel: number, ctx: Context, pending: PendingRow[], failures: string[]): Promise<CacheRow[]> {
  try {
    return await measureCacheWorkloads({ quick, parallel, scratch: ctx.scratch, env: ctx.env, log: ctx.log });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`${CACHE_WORKLOAD}: FAILED: ${message}`);
    pending.push({ workload: CACHE_WORKLOAD, reason: `FAILED: ${shorten(firstLine(message), 100)}`, failed: true });
    failures.push(`FAILED: ${CACHE_WORKLOAD}: ${firstLine(message)}`);
    return [];
  }
}

/** Alternates Cairn and the baselines, so load from elsewhere on the machine hits both alike. One row per baseline. */
async function measureWorkload(workload: Workload, ctx: Context): Promise<ResultRow[]> {
  const loadStart = loadavg()[0]!;
  let service: PodmanService | undefined;
  let env = ctx.env;
  try {
    if (workload.needsPodman) {
      const dir = await mkdtemp(join(ctx.scratch, "podman-"));
      service = await startPodmanService(dir);
      env = { ...env, CAIRN_DOCKER_HOST: service.endpoint };
    }
    if (workload.warmUp) {
      await measureCairn(workload.warmUp.pipeline, { scratchRoot: ctx.scratch, env, timeoutMs: workload.timeoutMs });
      await workload.warmUp.baseline.run(ctx.scratch, env, workload.timeoutMs);
    }
    const cairn: CairnMeasurement[] = [];
    const baselines = workload.baselines.map(() => [] as number[]);
    for (let i = 0; i < workload.repeats; i++) {
      const measured = await measureCairn(workload.pipeline, { scratchRoot: ctx.scratch, env, expectOutput: workload.expectOutput, timeoutMs: workload.timeoutMs });
      cairn.push(measured);
      const cpuPerTask = (measured.cpuMs / workload.tasks).toFixed(2);
      const line = [`${workload.name} ${i + 1}/${workload.repeats}: Cairn ${seconds(measured.runMs)} (engine CPU ${cpuPerTask} ms/task, load ${loadavg()[0]!.toFixed(1)})`];
      for (const [b, baseline] of workload.baselines.entries()) {
        const ms = await baseline.run(ctx.scratch, env, workload.timeoutMs);
        baselines[b]!.push(ms);
        line.push(`${baseline.name} ${seconds(ms)}`);
      }
      ctx.log(line.join(", "));
    }
    const cairnMs = spread(cairn.map((m) => m.runMs));
    const median = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length > 0 ? round(spread(known).median) : "n/a";
    };
    const details = {
      openMs: median(cairn.map((m) => m.openMs)),
      parseMs: median(cairn.map((m) => m.parseMs)),
      processMs: median(cairn.map((m) => m.processMs)),
      attemptMedianMs: median(cairn.map((m) => m.timeline.attemptMedianMs)),
      turnaroundMedianMs: median(cairn.map((m) => m.timeline.turnaroundMedianMs)),
    };
    const load = { start: loadStart, end: loadavg()[0]! };
    return workload.baselines.map((baseline, b) => {
      const baselineMs = spread(baselines[b]!);
      return {
        workload: workload.name,
        tasks: workload.tasks,
        cairnMs,
        baseline: { name: baseline.name, ms: baselineMs },
        ratio: ratio(cairnMs.median, baselineMs.median),
        overheadMsPerTask: overheadPerTaskMs(cairnMs.median, baselineMs.median, workload.tasks),
        cairnMsPerTask: cairnMs.median / workload.tasks,
        engineCpuMsPerTask: spread(cairn.map((m) => m.cpuMs)).median / workload.tasks,
        peakRssMb: Math.max(...cairn.map((m) => m.maxRssKb)) / 1024,
        load,
        details,
      };
    });
  } finally {
    await service?.stop();
  }
}

function isApiWorkload(name: string): name is ApiWorkloadName {
  return (API_WORKLOADS as readonly string[]).includes(name);
}

/**
 * The API workloads, one server per store. They never fail the suite: a workload that
 * cannot run (no API built yet, no PostgreSQL) or fails is listed with the reason, and
 * the other rows are still written.
 */
async function runApiWorkloads(wanted: ApiWorkloadName[], quick: boolean, ctx: Context): Promise<{ rows: ApiRow[]; pending: PendingRow[] }> {
  const rows: ApiRow[] = [];
  const pending: PendingRow[] = [];
  if (wanted.length === 0) return { rows, pending };
  // PostgreSQL: trigger-latency always (the issue asks for both stores), api-read in the full run only.
  const onPostgres = wanted.filter((w) => w === "trigger-latency" || !quick);
  const names = (store: string, workloads: readonly ApiWorkloadName[]) => workloads.map((w) => `${w} (${store})`);
  const blocker = apiBlocker();
  if (blocker !== undefined) {
    ctx.log(`API workloads: ${blocker}`);
    for (const workload of [...names("SQLite", wanted), ...names("PostgreSQL", onPostgres)]) pending.push({ workload, reason: blocker });
    return { rows, pending };
  }
  const plan = apiPlan(quick);
  const session = async (s: ApiStoreSession, label: string) => {
    try {
      rows.push(...(await runApiSession(s, plan, { scratch: ctx.scratch, env: ctx.env }, ctx.log)));
    } catch (err) {
      const reason = `FAILED: ${shorten(firstLine(err instanceof Error ? err.message : String(err)), 160)}`;
      ctx.log(`API workloads on ${label}: ${reason}`);
      for (const workload of names(label, s.workloads)) pending.push({ workload, reason, failed: true });
    }
  };
  await session({ store: "sqlite", workloads: wanted }, "SQLite");
  if (onPostgres.length > 0) {
    const pgBlocker = postgresBlocker();
    if (pgBlocker !== undefined) {
      for (const workload of names("PostgreSQL", onPostgres)) pending.push({ workload, reason: pgBlocker });
    } else {
      const postgres = await startPostgres().catch((err: unknown) => {
        const reason = `not run: a private PostgreSQL did not start: ${err instanceof Error ? err.message : String(err)}`;
        for (const workload of names("PostgreSQL", onPostgres)) pending.push({ workload, reason });
        return undefined;
      });
      if (postgres !== undefined) {
        try {
          await session({ store: "postgresql", databaseUrl: postgres.url, workloads: onPostgres }, "PostgreSQL");
        } finally {
          await postgres.stop();
        }
      }
    }
  }
  return { rows, pending };
}

/** The server's process under node --cpu-prof during one API workload (SQLite); the profile is summarised like the others. */
async function profileApiWorkload(name: ApiWorkloadName, ctx: Context): Promise<void> {
  const blocker = apiBlocker();
  if (blocker !== undefined) throw new BenchError(`${name}: ${blocker}`);
  const profileDir = join(RESULTS, "profiles");
  await mkdir(profileDir, { recursive: true });
  const file = `${name}.cpuprofile`;
  await rm(join(profileDir, file), { force: true });
  const plan = apiPlan(false);
  const server = await startServerProcess({
    scratch: ctx.scratch,
    env: ctx.env,
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${file}`],
  });
  let headline: string;
  try {
    const client = await prepareServer(server.url);
    ctx.log(`profiling the server during ${name} with node --cpu-prof ...`);
    if (name === "trigger-latency") {
      const sorted = (await measureTriggerLatency(client, plan.triggerRuns)).latenciesMs.sort((a, b) => a - b);
      headline = `trigger-latency: ${sorted.length} runs, median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} ms (the server was profiled: slower than unprofiled)`;
    } else {
      const { runPath } = await measureTriggerLatency(client, 1, 0);
      const read = await measureApiRead(client, runPath, plan.readSeconds, plan.connections);
      headline = `api-read: ${read.requestsPerSecond.toFixed(0)} requests/s, p99 ${read.p99Ms} ms (the server was profiled: slower than unprofiled)`;
    }
  } finally {
    await server.stop();
  }
  const profile = JSON.parse(await readFile(join(profileDir, file), "utf8")) as CpuProfile;
  const summary = summariseProfile(profile, { repositoryRoot: REPOSITORY, top: 25 });
  const text = [
    `# CPU profile of the server during ${name}`,
    "",
    headline,
    `profile ${seconds(summary.totalMs)}, main thread busy ${seconds(summary.totalMs - summary.idleMs)}, idle ${seconds(summary.idleMs)} (start-up and set-up included)`,
    "",
    ...profileSections(summary),
  ].join("\n");
  ctx.log(text);
  await writeFile(join(RESULTS, `profile-${name}.md`), text + "\n");
  await writeFile(join(RESULTS, `profile-${name}.json`), JSON.stringify({ workload: name, headline, summary }, null, 2) + "\n");
  ctx.log(`\nwritten: bench/results/profile-${name}.{md,json}, bench/results/profiles/${file} (open it in Chrome DevTools)`);
}

/** How time per task grows from the 1,000-task fan to the 10,000-task one (the same no-op tasks). */
function scalingNotes(rows: ResultRow[]): string[] {
  const small = rows.find((r) => r.workload === "fan-noop-1000");
  const big = rows.find((r) => r.workload === "fan-10000");
  if (!small || !big) return [];
  return [
    `no-op fan: Cairn time per task ${small.cairnMsPerTask.toFixed(1)} ms at ${small.tasks} tasks, ${big.cairnMsPerTask.toFixed(1)} ms at ${big.tasks} ` +
      `(${(big.cairnMsPerTask / small.cairnMsPerTask).toFixed(2)}x); overhead per task ${small.overheadMsPerTask.toFixed(1)} -> ${big.overheadMsPerTask.toFixed(1)} ms.`,
  ];
}

/** One Cairn run of the workload under `node --cpu-prof`; prints and writes where the engine's time went. */
async function profileWorkload(workload: Workload, ctx: Context): Promise<void> {
  const profileDir = join(RESULTS, "profiles");
  await mkdir(profileDir, { recursive: true });
  const name = `${workload.name}.cpuprofile`;
  await rm(join(profileDir, name), { force: true });
  let service: PodmanService | undefined;
  let env = ctx.env;
  try {
    if (workload.needsPodman) {
      service = await startPodmanService(await mkdtemp(join(ctx.scratch, "podman-")));
      env = { ...env, CAIRN_DOCKER_HOST: service.endpoint };
    }
    ctx.log(`profiling ${workload.name} (${workload.tasks} tasks) with node --cpu-prof ...`);
    const measured = await measureCairn(workload.pipeline, {
      scratchRoot: ctx.scratch,
      env,
      expectOutput: workload.expectOutput,
      timeoutMs: workload.timeoutMs,
      nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}`],
    });
    if (!(await readdir(profileDir)).includes(name)) throw new BenchError(`node wrote no profile ${join(profileDir, name)}`);
    const profile = JSON.parse(await readFile(join(profileDir, name), "utf8")) as CpuProfile;
    const summary = summariseProfile(profile, { repositoryRoot: REPOSITORY, top: 25 });
    const text = renderProfile(workload, measured, summary);
    ctx.log(text);
    await writeFile(join(RESULTS, `profile-${workload.name}.md`), text + "\n");
    await writeFile(join(RESULTS, `profile-${workload.name}.json`), JSON.stringify({ workload: workload.name, measured, summary }, null, 2) + "\n");
    ctx.log(`\nwritten: bench/results/profile-${workload.name}.{md,json}, bench/results/profiles/${name} (open it in Chrome DevTools)`);
  } finally {
    await service?.stop();
  }
}

function profileSections(summary: ProfileSummary): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`.padStart(6);
  const ms = (value: number) => value.toFixed(0).padStart(7);
  const list = (items: ProfileSummary["functions"]) => items.map((i) => `${ms(i.selfMs)} ms ${pct(i.share)}  ${i.label}`);
  return [
    "## self time by area",
    ...list(summary.areas),
    "",
    "## self time by file (top 25)",
    ...list(summary.files),
    "",
    "## self time by function (top 25)",
    ...list(summary.functions),
    "",
    "## Cairn's own functions (packages/cairn) by self time (top 25)",
    ...list(summary.cairnSelf),
    "",
    "## Cairn's own functions by total time: self plus what they called synchronously (top 25)",
    ...list(summary.cairnTotal),
  ];
}

function renderProfile(workload: Workload, measured: CairnMeasurement, summary: ProfileSummary): string {
  const perTask = (value: number) => `${(value / workload.tasks).toFixed(2)} ms/task`;
  return [
    `# CPU profile of ${workload.name} (${workload.tasks} tasks), engine process`,
    "",
    `run ${seconds(measured.runMs)} (${perTask(measured.runMs)}), profile ${seconds(summary.totalMs)}, ` +
      `main thread busy ${seconds(summary.totalMs - summary.idleMs)} (${perTask(summary.totalMs - summary.idleMs)}), idle ${seconds(summary.idleMs)}, ` +
      `engine CPU during the run ${perTask(measured.cpuMs)} (profiler included)`,
    `per attempt (stored timestamps, median): running->ended ${measured.timeline.attemptMedianMs ?? "n/a"} ms, ` +
      `dependency ended->next started ${measured.timeline.turnaroundMedianMs ?? "n/a"} ms`,
    "",
    ...profileSections(summary),
  ].join("\n");
}

/** The first line, without the colon that introduces the output quoted after it. */
function firstLine(text: string): string {
  return text.split("\n")[0]!.replace(/:\s*$/, "");
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${flag} must be a whole number of at least 1, got '${value}'`);
  return n;
}
