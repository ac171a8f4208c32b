import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ChildResult } from "./cairn-child.js";
import type { PipelineDocument } from "./pipeline.js";

/** Starting processes and timing them: Cairn in its own Node.js process, and the baselines. */

export class BenchError extends Error {
  override name = "BenchError";
  constructor(message: string, readonly details: { command?: string; exitCode?: number | null; output?: string } = {}, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface TimedProcess {
  ms: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Past this the process is killed and the measurement fails: something hangs. */
  timeoutMs: number;
}

/** Wall time from spawn to the end of the process's output; rejects when it cannot be started or runs too long. */
export function timeProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<TimedProcess> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (cause) => {
      clearTimeout(timer);
      reject(new BenchError(`could not start '${command}': ${cause.message}`, { command }, { cause }));
    });
    child.once("close", (exitCode) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (timedOut) {
        const shown = `${command} ${args.join(" ")}`;
        reject(new BenchError(`'${shown}' was stopped after ${options.timeoutMs / 1000} s:\n${tail(stderr || stdout)}`, { command: shown, output: stderr }));
        return;
      }
      resolve({ ms: performance.now() - started, exitCode, stdout, stderr });
    });
  });
}

/** Like timeProcess, but a non-zero exit is an error that quotes the end of the output. */
export async function timeSuccessfulProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<number> {
  const result = await timeProcess(command, args, options);
  if (result.exitCode !== 0) {
    const shown = `${command} ${args.join(" ")}`;
    throw new BenchError(`'${shown}' exited with ${result.exitCode}:\n${tail(result.stderr || result.stdout)}`, {
      command: shown,
      exitCode: result.exitCode,
      output: result.stderr,
    });
  }
  return result.ms;
}

const CHILD_SCRIPT = fileURLToPath(new URL("./cairn-child.js", import.meta.url));

export interface CairnMeasurement extends ChildResult {
  /** The whole child process, Node.js start-up included. */
  processMs: number;
}

export interface CairnRunOptions {
  /** Where this measurement's data dir and pipeline file go; removed afterwards. */
  scratchRoot: string;
  /** The environment of the engine's process; CAIRN_DATA_DIR is added. */
  env: NodeJS.ProcessEnv;
  expectOutput?: string;
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
  timeoutMs: number;
}

/** Runs one pipeline in a fresh data dir, in a child Node.js process, and returns what it measured. */
export async function measureCairn(pipeline: PipelineDocument, options: CairnRunOptions): Promise<CairnMeasurement> {
  const dir = await mkdtemp(join(options.scratchRoot, "cairn-"));
  try {
    const dataDir = join(dir, "data");
    await mkdir(dataDir);
    const file = join(dir, `${pipeline.id}.json`);
    await writeFile(file, JSON.stringify(pipeline));
    const args = [...(options.nodeFlags ?? []), CHILD_SCRIPT, file, ...(options.expectOutput ? ["--expect-output", options.expectOutput] : [])];
    const child = await timeProcess(process.execPath, args, { env: { ...options.env, CAIRN_DATA_DIR: dataDir }, cwd: dir, timeoutMs: options.timeoutMs });
    const lastLine = child.stdout.trimEnd().split("\n").pop() ?? "";
    let result: ChildResult;
    try {
      result = JSON.parse(lastLine) as ChildResult;
    } catch (cause) {
      const output = child.stderr || child.stdout;
      // A crash prints a stack; its error line (`Error: ...`, `[Error: ...`) says what happened.
      const errorLine = output.split("\n").reverse().find((line) => /^\[?\w*Error\b/.test(line.trim()));
      const summary = errorLine === undefined ? "printed no result" : `crashed: ${errorLine.trim().replace(/^\[/, "").replace(/\] \{$/, "")}`;
      throw new BenchError(`the Cairn process for '${pipeline.id}' ${summary} (exit ${child.exitCode}):\n${tail(output)}`, {
        exitCode: child.exitCode,
        output: child.stderr,
      }, { cause });
    }
    if (child.exitCode !== 0) {
      throw new BenchError(`Cairn's run of '${pipeline.id}' ended ${result.status}: ${result.problems.join("; ")}`, { exitCode: child.exitCode });
    }
    return { ...result, processMs: child.ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
