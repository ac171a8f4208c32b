/**
 * One Cairn measurement, in a process of its own so that its peak memory (maxRSS) is the
 * engine's for this workload alone. Runs the pipeline file with the built package, the
 * way `cairn run` does (openCairn, startRun, waitForRun), and prints one JSON line.
 *
 *   node bench/dist/cairn-child.js PIPELINE.json [--expect-output NAME]
 *
 * Configuration comes from the environment (CAIRN_DATA_DIR, CAIRN_MAX_PARALLEL_TASKS, ...)
 * through loadConfig, as for the CLI. Exits 1, still printing its JSON, when the run did
 * not succeed or a task did not record the expected output.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { loadConfig, openCairn, parsePipelineText, usesHostRuntime, type ExecutionRecord, type Pipeline } from "../../packages/cairn/dist/index.js";
import { spread } from "./stats.js";

export interface ChildResult {
  status: string;
  tasks: number;
  /** Parsing and validating the pipeline file. */
  parseMs: number;
  /** openCairn: the store opened and migrated. */
  openMs: number;
  /** startRun until waitForRun resolves: the figure the tables compare. */
  runMs: number;
  /**
   * CPU time of this process (user + system, every thread) over the same span: the
   * engine's own work, which other load on the machine inflates less than wall time.
   */
  cpuMs: number;
  /** cairn.close(): buffered writes flushed, store closed. */
  closeMs: number;
  /** process.resourceUsage().maxRSS, in kilobytes (Linux). */
  maxRssKb: number;
  /** Medians from the stored attempt timestamps (ms resolution). */
  timeline: AttemptTimeline;
  /** Why the run failed, when it did: the first few failed attempts' messages. */
  problems: string[];
}

export interface AttemptTimeline {
  /** running -> ended per attempt: start of the process, the process, collecting outputs. */
  attemptMedianMs: number | null;
  /** From the last dependency's end to this task's start: the engine's turnaround between tasks. */
  turnaroundMedianMs: number | null;
}

async function main(argv: string[]): Promise<number> {
  const [file, ...rest] = argv;
  if (file === undefined) throw new Error("usage: cairn-child.js PIPELINE.json [--expect-output NAME]");
  const expectIndex = rest.indexOf("--expect-output");
  const expectedOutput = expectIndex >= 0 ? rest[expectIndex + 1] : undefined;

  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  const pipeline = parsePipelineText(await readFile(file, "utf8"), file);
  const parseMs = lap();
  const config = loadConfig();
  // As `cairn run` opens it: the host launcher starts with the store when the pipeline has host tasks.
  const cairn = await openCairn(config, { allowHostRuntime: true, prepareHost: usesHostRuntime(pipeline) });
  const openMs = lap();
  const cpuBefore = process.cpuUsage();
  const run = await cairn.engine.startRun({ pipeline });
  const final = await cairn.engine.waitForRun(run.uuid);
  const runMs = lap();
  const cpu = process.cpuUsage(cpuBefore);
  const executions = await cairn.store.listExecutions(run.uuid);
  mark = performance.now();
  await cairn.close();
  const closeMs = lap();

  const problems = executions
    .filter((e) => e.status !== "succeeded")
    .slice(0, 3)
    .map((e) => `${e.taskId} attempt ${e.attempt}: ${e.status}${e.message ? `: ${e.message}` : ""}`);
  if (expectedOutput !== undefined) {
    const missing = executions.filter((e) => e.status === "succeeded" && !(expectedOutput in e.outputs));
    if (missing.length > 0) problems.push(`${missing.length} task(s) did not record the output '${expectedOutput}', e.g. ${missing[0]!.taskId}`);
  }
  const result: ChildResult = {
    status: final.status,
    tasks: pipeline.tasks.length,
    parseMs,
    openMs,
    runMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    closeMs,
    maxRssKb: process.resourceUsage().maxRSS,
    timeline: attemptTimeline(pipeline, executions),
    problems,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  return final.status === "succeeded" && problems.length === 0 ? 0 : 1;
}

function attemptTimeline(pipeline: Pipeline, executions: ExecutionRecord[]): AttemptTimeline {
  const ended = new Map(executions.map((e) => [e.taskId, e.endedAt]));
  const depsOf = new Map(pipeline.tasks.map((t) => [t.id, t.depends_on]));
  const attempts: number[] = [];
  const turnarounds: number[] = [];
  for (const e of executions) {
    if (e.startedAt === null || e.endedAt === null) continue;
    attempts.push(e.endedAt - e.startedAt);
    const deps = depsOf.get(e.taskId) ?? [];
    const depEnds = deps.map((d) => ended.get(d.id) ?? null);
    if (depEnds.length > 0 && depEnds.every((t) => t !== null)) turnarounds.push(e.startedAt - Math.max(...(depEnds as number[])));
  }
  return {
    attemptMedianMs: attempts.length > 0 ? spread(attempts).median : null,
    turnaroundMedianMs: turnarounds.length > 0 ? spread(turnarounds).median : null,
  };
}

main(process.argv.slice(2)).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(`cairn-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
