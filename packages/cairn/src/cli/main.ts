import { readFile } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";
import { loadConfig, type CairnConfig } from "../config.js";
import { CairnError, ValidationError, describeError, formatIssues, isCairnError } from "../errors.js";
import { openCairn } from "../open-cairn.js";
import { parsePipelineText, validateDirectives } from "../spec/index.js";
import type { Pipeline } from "../spec/types.js";
import type { RunId } from "../ids.js";
import { reportRun, summarizeRun, type Output } from "./run-reporter.js";
import { serverCommand, type ServerOptions } from "./server-command.js";

/** Exit codes: 0 success, 1 the run did not succeed (or Cairn failed), 2 bad input, 130 interrupted. */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;

interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

const stdout: Output = { write: (text) => void process.stdout.write(text) };
const stderr: Output = { write: (text) => void process.stderr.write(text) };

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command("cairn")
    .description("Cairn: container-native workflows. Runs pipelines (DAGs of container, function and HTTP tasks).")
    .addOption(new Option("--data-dir <dir>", "where Cairn keeps its database and working files").env("CAIRN_DATA_DIR"))
    .option("--json", "machine-readable output (one JSON object per line)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError();

  program
    .command("run")
    .description("run a pipeline file (JSON or YAML, Tapis Workflows format) on this machine and follow it")
    .argument("<file>", "pipeline file")
    .option("-p, --param <key=value>", "a run parameter (repeatable)", collect, [])
    .option("-d, --directive <directive>", "a directive such as no_push or custom_tag:v1 (repeatable)", collect, [])
    .action(async (file: string, opts: { param: string[]; directive: string[] }) => {
      exitCode = await runCommand(file, opts, program.opts<GlobalOptions>(), out, err);
    });

  program
    .command("validate")
    .description("check a pipeline file without running it; prints every problem found")
    .argument("<file>", "pipeline file")
    .action(async (file: string) => {
      exitCode = await validateCommand(file, program.opts<GlobalOptions>(), out, err);
    });

  program
    .command("resume")
    .description("finish the runs a stopped or killed `cairn run` left unfinished in the data directory")
    .action(async () => {
      exitCode = await resumeCommand(program.opts<GlobalOptions>(), out);
    });

  program
    .command("server")
    .description("start the REST API with its scheduler and worker; stops cleanly on SIGTERM")
    .addOption(new Option("--port <port>", "port to listen on (0: any free port)").env("CAIRN_PORT"))
    .addOption(new Option("--host <host>", "address to listen on").env("CAIRN_HOST"))
    .addOption(new Option("--database-url <url>", "a postgres:// URL instead of the embedded SQLite").env("CAIRN_DATABASE_URL"))
    .action(async (opts: ServerOptions) => {
      exitCode = await serverCommand({ ...opts, dataDir: program.opts<GlobalOptions>().dataDir }, out);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    return reportError(error, err);
  }
}

async function runCommand(
  file: string,
  opts: { param: string[]; directive: string[] },
  global: GlobalOptions,
  out: Output,
  err: Output,
): Promise<number> {
  const pipeline = await loadPipelineFile(file);
  const params = parseParams(opts.param);
  const directives = opts.directive.length > 0 ? validateDirectives(opts.directive) : {};
  const config = configFor(global);
  const cairn = await openCairn(config, { allowHostRuntime: true, secrets: async (name) => config.localSecrets[name] });
  let interrupted = false;
  try {
    const pending = (await cairn.store.listUnfinishedRuns()).length;
    if (pending > 0 && !global.json) {
      err.write(`note: ${pending} unfinished run(s) in ${config.dataDir}; \`cairn resume\` finishes them\n`);
    }
    const run = await cairn.engine.startRun({ pipeline, params, directives });
    const stopReporting = reportRun(cairn.engine, run.uuid, out, { json: Boolean(global.json) });
    if (!global.json) out.write(`run ${run.uuid} of pipeline '${pipeline.id}' started (${pipeline.tasks.length} tasks)\n`);
    const onSigint = () => {
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      err.write("cancelling the run (Ctrl-C again to leave at once)…\n");
      void cairn.engine.cancelRun(run.uuid);
    };
    process.on("SIGINT", onSigint);
    const final = await cairn.engine.waitForRun(run.uuid);
    process.off("SIGINT", onSigint);
    stopReporting();
    out.write(global.json ? JSON.stringify({ event: "run", ...final, pipeline: undefined }) + "\n" : summarizeRun(final) + "\n");
    if (final.status === "succeeded") return EXIT.ok;
    return interrupted ? EXIT.interrupted : EXIT.runFailed;
  } finally {
    await cairn.close();
  }
}

async function validateCommand(file: string, global: GlobalOptions, out: Output, err: Output): Promise<number> {
  const text = await readPipelineFile(file);
  try {
    const pipeline = parsePipelineText(text, file);
    out.write(global.json ? JSON.stringify({ valid: true, pipeline }) + "\n" : `${file}: valid pipeline '${pipeline.id}' with ${pipeline.tasks.length} task(s)\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ValidationError && global.json) {
      out.write(JSON.stringify({ valid: false, issues: error.issues }) + "\n");
      return EXIT.badInput;
    }
    return reportError(error, err);
  }
}

async function resumeCommand(global: GlobalOptions, out: Output): Promise<number> {
  const config = configFor(global);
  const cairn = await openCairn(config, { allowHostRuntime: true, secrets: async (name) => config.localSecrets[name] });
  try {
    const stopReporters: (() => void)[] = [];
    const taken = await cairn.engine.recover();
    if (taken.length === 0) {
      out.write(global.json ? JSON.stringify({ event: "resume", runs: [] }) + "\n" : "no unfinished runs\n");
      return EXIT.ok;
    }
    for (const run of taken) {
      stopReporters.push(reportRun(cairn.engine, run.uuid, out, { json: Boolean(global.json) }));
      if (!global.json) out.write(`resuming run ${run.uuid} of pipeline '${run.pipelineId}'\n`);
    }
    const finals = await Promise.all(taken.map((r) => cairn.engine.waitForRun(r.uuid as RunId)));
    stopReporters.forEach((stop) => stop());
    for (const final of finals) {
      out.write(global.json ? JSON.stringify({ event: "run", ...final, pipeline: undefined }) + "\n" : summarizeRun(final) + "\n");
    }
    return finals.every((f) => f.status === "succeeded") ? EXIT.ok : EXIT.runFailed;
  } finally {
    await cairn.close();
  }
}

function configFor(global: GlobalOptions): CairnConfig {
  return loadConfig(global.dataDir ? { dataDir: global.dataDir } : {});
}

async function readPipelineFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : describeError(error);
    throw new CairnError("invalid_input", `cannot read pipeline file '${file}': ${reason}`, { cause: error });
  }
}

async function loadPipelineFile(file: string): Promise<Pipeline> {
  return parsePipelineText(await readPipelineFile(file), file);
}

function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ValidationError("--param", [{ path: pair, message: "expected KEY=VALUE" }]);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function reportError(error: unknown, err: Output): number {
  if (error instanceof ValidationError) {
    err.write(`error: ${error.message.split("\n")[0]}\n${formatIssues(error.issues)}\n`);
    return EXIT.badInput;
  }
  if (isCairnError(error)) {
    err.write(`error: ${describeError(error)}\n`);
    return error.code === "invalid_input" || error.code === "config_invalid" ? EXIT.badInput : EXIT.runFailed;
  }
  err.write(`error: ${describeError(error)}\n`);
  if (process.env.CAIRN_DEBUG) err.write(`${(error as Error)?.stack ?? ""}\n`);
  return EXIT.runFailed;
}
