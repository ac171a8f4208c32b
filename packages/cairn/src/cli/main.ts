import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Argument, Command, CommanderError, Option } from "commander";
import { ApiError } from "../client/api-error.js";
import { loadClientConfig, loadConfig, type CairnConfig, type ClientConfig } from "../config.js";
import { CairnError, ValidationError, describeError, formatIssues, isCairnError } from "../errors.js";
import type { Engine } from "../engine/engine.js";
import type { Pipeline } from "../spec/types.js";
import { MIN_RUN_PREFIX } from "../store/run-lookup.js";
import type { RunRecord, Store } from "../store/store.js";
import { describeParams, resolveParams, usesHostRuntime, validateDirectives } from "../spec/index.js";
import type { RunId } from "../ids.js";
import { applyCommand } from "./apply-command.js";
import { resolveAttachments, stageAttachments } from "./attachments.js";
import { isLocalPipelineArgument, parseParams, parsePipelineRef } from "./arguments.js";
import { cacheClearCommand, cacheListCommand } from "./cache-command.js";
import { cancelCommand } from "./cancel-command.js";
import { completionScript, SHELLS, type Shell } from "./completion.js";
import { CAIRN_VERSION } from "../version.js";
import type { RunSourceOptions } from "./choose-run-source.js";
import { againCommand } from "./retry-command.js";
import { showCommand } from "./show-command.js";
import { imageWarnings, undeclaredParamWarnings } from "./validate-warnings.js";
import {
  doctorCommand,
  imagesInspectCommand,
  imagesListCommand,
  imagesLoadCommand,
  imagesMarkBadCommand,
  imagesSaveCommand,
  provenanceCommand,
  rerunAffectedCommand,
} from "./images-command.js";
import type { CommandIo } from "./command-io.js";
import { EXIT } from "./exit-codes.js";
import { loginCommand, logoutCommand } from "./login-command.js";
import { logsCommand } from "./logs-command.js";
import { loadPipelineSource } from "./pipeline-source.js";
import { remoteRunCommand } from "./remote-run-command.js";
import { connect } from "./server-connection.js";
import { parsePipeline } from "../spec/validate.js";
import { resultsCommand } from "./results-command.js";
import { reportRun, summarizeRun, type Output } from "./run-reporter.js";
import { runsCommand } from "./runs-command.js";
import type { ServerOptions } from "./server-command.js";

export { EXIT };

const RUN_ARGUMENT = `the run's uuid, or its first ${MIN_RUN_PREFIX}+ characters`;

interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  server?: string;
  local?: boolean;
}

const stdout: Output = { write: (text) => void process.stdout.write(text) };
const stderr: Output = { write: (text) => void process.stderr.write(text) };

export async function main(argv: string[], out: Output = stdout, err: Output = stderr): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command("cairn")
    .description("Cairn: container-native workflows. Runs pipelines (DAGs of container, function and HTTP tasks).")
    .addOption(new Option("--data-dir <dir>", "where Cairn keeps its database and working files").env("CAIRN_DATA_DIR"))
    .option("--json", "machine-readable output (one JSON object per line)")
    .option("--server <url>", "the Cairn server of the client commands (default: CAIRN_SERVER, else the last one logged in to, else http://127.0.0.1:8080)")
    .option("--local", "runs, logs, results, show, cancel, retry, rerun: the runs of this machine's data dir (`cairn run FILE`), not a server's")
    .version(CAIRN_VERSION, "-V, --version", "print Cairn's version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError();

  const io = (): CommandIo => ({ out, err, input: process.stdin, json: Boolean(program.opts<GlobalOptions>().json) });
  const clientConfig = (extra: Partial<ClientConfig> = {}): ClientConfig => {
    const server = program.opts<GlobalOptions>().server;
    return loadClientConfig({ ...(server !== undefined ? { server } : {}), ...extra });
  };
  const runSource = (): RunSourceOptions => ({
    local: Boolean(program.opts<GlobalOptions>().local),
    localConfig: () => configFor(program.opts<GlobalOptions>()),
    client: clientConfig(),
  });

  program
    .command("run")
    .description(
      "run a pipeline file (JSON, YAML, or a .ts/.js module exporting one) on this machine and follow it; " +
        "or start a run of GROUP/PIPELINE on the server (an argument that is no existing file and has the form GROUP/PIPELINE)",
    )
    .argument("<file|group/pipeline>", "pipeline file, or GROUP/PIPELINE on the server")
    .option("-p, --param <key=value>", "a run parameter (repeatable)", collect, [])
    .option("-d, --directive <directive>", "a directive such as no_push or custom_tag:v1 (repeatable)", collect, [])
    .option("-a, --attach <[task=]path>", "a file or folder for every task's /inbox, or TASK=PATH for one task's (repeatable)", collect, [])
    .option("-f, --follow", "GROUP/PIPELINE: show task states and logs until the run ends, and exit with 0 if it succeeded, 1 if not (a local run is always followed)")
    .option("--help-params", "list the params the pipeline declares (type, required or default, values, description) and run nothing")
    .action(async (target: string, opts: { param: string[]; directive: string[]; attach: string[]; follow?: boolean; helpParams?: boolean }) => {
      if (opts.helpParams) {
        exitCode = await helpParamsCommand(target, clientConfig, io());
        return;
      }
      exitCode = isLocalPipelineArgument(target, isFile)
        ? await runCommand(target, opts, program.opts<GlobalOptions>(), out, err)
        : await remoteRunCommand(parsePipelineRef(target), opts, clientConfig(), io());
    });

  program
    .command("login")
    .description("log in to a server and keep the token for the other client commands (in a file only you can read)")
    .option("-u, --user <login>", "who to log in as (default: CAIRN_USER, else asked)")
    .action(async (opts: { user?: string }) => {
      exitCode = await loginCommand(clientConfig(opts.user !== undefined ? { user: opts.user } : {}), io());
    });

  program
    .command("logout")
    .description("revoke the kept token on the server and forget it")
    .action(async () => {
      exitCode = await logoutCommand(clientConfig(), io());
    });

  program
    .command("apply")
    .description("create a group's pipeline from a file (JSON, YAML, or a .ts/.js module whose default export is the pipeline), or replace the one with its id")
    .argument("<file>", "pipeline file")
    .requiredOption("-g, --group <group>", "the group that owns the pipeline")
    .action(async (file: string, opts: { group: string }) => {
      exitCode = await applyCommand(file, opts, clientConfig(), io());
    });

  program
    .command("runs")
    .description("list the latest runs, newest first: of one pipeline, of a group, or of every group you are in")
    .argument("[group[/pipeline]]", "which runs")
    .option("-n, --limit <n>", "how many runs at most", "20")
    .option("--status <status>", "only runs in this state (queued, running, succeeded, failed, cancelled)")
    .action(async (scope: string | undefined, opts: { limit: string; status?: string }) => {
      exitCode = await runsCommand(scope, opts, runSource(), io());
    });

  program
    .command("logs")
    .description("print a run's log lines: of one task as plain text, or of every task prefixed with its id")
    .argument("<run>", RUN_ARGUMENT)
    .argument("[task]", "only this task")
    .option("-f, --follow", "show task states and logs live until the run ends (exit code as for run --follow)")
    .action(async (run: string, task: string | undefined, opts: { follow?: boolean }) => {
      exitCode = await logsCommand(run, task, opts, runSource(), io());
    });

  program
    .command("cancel")
    .description("cancel a run: running tasks are stopped, nothing new starts (a local run: the `cairn` process running it stops it)")
    .argument("<run>", RUN_ARGUMENT)
    .action(async (run: string) => {
      exitCode = await cancelCommand(run, runSource(), io());
    });

  program
    .command("show")
    .description("one run: its state, params and directives, each task's state, exit code and time, and the outputs")
    .argument("<run>", RUN_ARGUMENT)
    .action(async (run: string) => {
      exitCode = await showCommand(run, runSource(), io());
    });

  program
    .command("retry")
    .description("retry a failed or cancelled run: a new run that reuses the tasks that succeeded and runs the others again (a local run runs here, followed)")
    .argument("<run>", RUN_ARGUMENT)
    .action(async (run: string) => {
      exitCode = await againCommand("retry", run, runSource(), io(), (original) =>
        followLocal(program.opts<GlobalOptions>(), out, err, async (engine, store) => {
          const record = await store.getRun(original.uuid as RunId);
          if (record === undefined) throw new CairnError("not_found", `run '${original.uuid}' was not found`);
          return engine.retryRun(record, {});
        }),
      );
    });

  program
    .command("results")
    .description("download a run's outputs, logs and results (what its tasks wrote to /outbox) as a zip")
    .argument("<run>", RUN_ARGUMENT)
    .option("-o, --output <file>", "where to write the zip (default: run-UUID.zip)")
    .action(async (run: string, opts: { output?: string }) => {
      exitCode = await resultsCommand(run, opts, runSource(), io());
    });

  const images = program.command("images").description("a server's image catalog (ls, inspect, mark-bad), and this machine's image cache (save, load)");
  images
    .command("ls")
    .description("list a group's images, newest first")
    .argument("<group>", "the group")
    .option("--name <repo:tag>", "only images with this name")
    .option("--commit <sha>", "only images built from this commit (or its first 7+ characters)")
    .option("--bad", "only images marked bad")
    .option("-n, --limit <n>", "how many at most", "100")
    .action(async (group: string, opts: { name?: string; commit?: string; bad?: boolean; limit: string }) => {
      exitCode = await imagesListCommand(group, opts, clientConfig(), io());
    });
  images
    .command("inspect")
    .description("one image (by digest, or repo:tag: the newest such), its recipe and the executions that used it")
    .argument("<group>", "the group")
    .argument("<image>", "sha256:… or repository:tag")
    .action(async (group: string, image: string) => {
      exitCode = await imagesInspectCommand(group, image, clientConfig(), io());
    });
  images
    .command("mark-bad")
    .description("mark an image bad and list the runs that used it")
    .argument("<group>", "the group")
    .argument("<image>", "sha256:… or repository:tag")
    .option("--reason <text>", "why it is bad")
    .action(async (group: string, image: string, opts: { reason?: string }) => {
      exitCode = await imagesMarkBadCommand(group, image, opts, clientConfig(), io());
    });
  images
    .command("save")
    .description("save an image of the local engine into the image cache, as an archive named by its digest")
    .argument("<image>", "repository:tag or sha256:…")
    .option("--format <format>", "oci-archive (Podman only) or docker-archive", "docker-archive")
    .action(async (image: string, opts: { format?: string }) => {
      exitCode = await imagesSaveCommand(image, opts, configFor(program.opts<GlobalOptions>()), io());
    });
  images
    .command("load")
    .description("load a docker-archive or oci-archive file into the local engine (and the image cache)")
    .argument("<file>", "the archive")
    .action(async (file: string) => {
      exitCode = await imagesLoadCommand(file, configFor(program.opts<GlobalOptions>()), io());
    });

  const cache = program.command("cache").description("the task cache of this machine's data dir (execution_profile.cache): what it holds, and clearing it");
  cache
    .command("ls")
    .description("list the cache's entries, least recently used (the next evicted) first")
    .option("-g, --group <group>", "only this group's entries")
    .option("-p, --pipeline <pipeline>", "only entries made by this pipeline's runs")
    .action(async (opts: { group?: string; pipeline?: string }) => {
      exitCode = await cacheListCommand(opts, configFor(program.opts<GlobalOptions>()), io());
    });
  cache
    .command("clear")
    .description("delete the cache's entries (all, or those of a group or pipeline) and their files")
    .option("-g, --group <group>", "only this group's entries")
    .option("-p, --pipeline <pipeline>", "only entries made by this pipeline's runs")
    .action(async (opts: { group?: string; pipeline?: string }) => {
      exitCode = await cacheClearCommand(opts, configFor(program.opts<GlobalOptions>()), io());
    });

  program
    .command("provenance")
    .description("a run's chain: each task's result, the exact image it ran, that image's recipe and commit")
    .argument("<run>", RUN_ARGUMENT)
    .action(async (run: string) => {
      exitCode = await provenanceCommand(run, clientConfig(), io());
    });

  program
    .command("rerun")
    .description(
      "run RUN again in full: a new run of its frozen pipeline with the same params and directives (a local run runs here, followed); " +
        "or, with --affected-by, every run that used an image",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--affected-by <image>", "the image (sha256:… or repository:tag) whose runs to run again")
    .option("-g, --group <group>", "the group whose runs used it")
    .option("--image <reference>", "the replacement image for the container tasks that ran it")
    .option("--rebuild", "run the pipelines as they are: their image_build tasks build again from the latest commit")
    .action(async (run: string | undefined, opts: { affectedBy?: string; group?: string; image?: string; rebuild?: boolean }) => {
      if (opts.affectedBy !== undefined) {
        if (run !== undefined) throw new ValidationError("rerun", [{ path: run, message: "give a run or --affected-by IMAGE, not both" }]);
        exitCode = await rerunAffectedCommand(opts.affectedBy, opts, clientConfig(), io());
        return;
      }
      if (run === undefined) throw new ValidationError("rerun", [{ path: "run", message: "give the run to run again, or --affected-by IMAGE" }]);
      exitCode = await againCommand("rerun", run, runSource(), io(), (original) =>
        followLocal(program.opts<GlobalOptions>(), out, err, async (engine, store) => {
          const record = await store.getRun(original.uuid as RunId);
          if (record === undefined) throw new CairnError("not_found", `run '${original.uuid}' was not found`);
          return engine.startRun({ pipeline: record.pipeline as Pipeline, params: record.params, directives: record.directives, trigger: "rerun" });
        }),
      );
    });

  program
    .command("doctor")
    .description("the container engine Cairn uses here (name, version, architecture) and its image settings")
    .action(async () => {
      exitCode = await doctorCommand(configFor(program.opts<GlobalOptions>()), io());
    });

  program
    .command("validate")
    .description(
      "check a pipeline file without running it; prints every problem found, then warnings: params read but not declared, " +
        "and container images neither in the local engine nor pullable (missing ones are pulled to find out)",
    )
    .argument("<file>", "pipeline file")
    .option("--no-images", "do not look for the images in the container engine (nor pull them)")
    .action(async (file: string, opts: { images: boolean }) => {
      exitCode = await validateCommand(file, opts, program.opts<GlobalOptions>(), out, err);
    });

  program
    .command("export")
    .description("print a pipeline file's JSON, as the API takes it: what a TypeScript module built with the SDK (or a YAML file) amounts to, defaults applied")
    .argument("<file>", "pipeline file (.ts/.js module, YAML or JSON)")
    .action(async (file: string) => {
      const pipeline = await loadPipelineSource(file);
      out.write(JSON.stringify(pipeline, null, io().json ? undefined : 2) + "\n");
      exitCode = EXIT.ok;
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
    .addOption(
      new Option("--role <role>", "api: serve the API and run nothing; worker: run tasks, serve only /healthz, /readyz and /metrics; all: both (several processes need PostgreSQL)")
        .choices(["api", "worker", "all"])
        .env("CAIRN_ROLE"),
    )
    .action(async (opts: ServerOptions) => {
      const { serverCommand } = await import("./server-command.js");
      exitCode = await serverCommand({ ...opts, dataDir: program.opts<GlobalOptions>().dataDir }, out);
    });

  program
    .command("completion")
    .description("print a shell completion script: eval \"$(cairn completion bash)\" in ~/.bashrc (zsh: ~/.zshrc), or cairn completion fish > ~/.config/fish/completions/cairn.fish")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .action((shell: Shell) => {
      out.write(completionScript(shell, program));
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
  opts: { param: string[]; directive: string[]; attach: string[] },
  global: GlobalOptions,
  out: Output,
  err: Output,
): Promise<number> {
  const pipeline = await loadPipelineSource(file);
  // Checked before anything is opened, so a wrong param costs nothing (the engine checks again).
  const params = resolveParams(pipeline, parseParams(opts.param));
  const directives = opts.directive.length > 0 ? validateDirectives(opts.directive) : {};
  const attachments = await resolveAttachments(opts.attach, new Set(pipeline.tasks.map((t) => t.id)));
  const config = configFor(global);
  let staging: string | undefined;
  try {
    return await followLocal(
      global,
      out,
      err,
      async (engine) => {
        if (attachments.length > 0) staging = await stageAttachments(config.dataDir, attachments);
        return engine.startRun({ pipeline, params, directives, ...(staging !== undefined ? { attachments: staging } : {}) });
      },
      { prepareHost: usesHostRuntime(pipeline) },
    );
  } finally {
    // Moved into the run's folder when the run started; left here only if it did not.
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Starts a run on this machine (`start`: a pipeline file's, or a local run's retry or
 * re-run) and follows it to its end: task states and log lines, then its outcome. Ctrl-C
 * cancels the run; a second Ctrl-C leaves at once.
 */
async function followLocal(
  global: GlobalOptions,
  out: Output,
  err: Output,
  start: (engine: Engine, store: Store) => Promise<RunRecord>,
  options: { prepareHost?: boolean } = {},
): Promise<number> {
  const config = configFor(global);
  const cairn = await openLocal(config, options);
  let interrupted = false;
  try {
    const pending = (await cairn.store.listUnfinishedRuns()).length;
    if (pending > 0 && !global.json) {
      err.write(`note: ${pending} unfinished run(s) in ${config.dataDir}; \`cairn resume\` finishes them\n`);
    }
    const run = await start(cairn.engine, cairn.store);
    const pipeline = run.pipeline as Pipeline;
    const stopReporting = reportRun(cairn.engine, run.uuid, out, { json: Boolean(global.json) });
    if (!global.json) {
      const retry = run.retryOf !== undefined ? `, a retry of ${run.retryOf}` : run.trigger === "rerun" ? ", a re-run" : "";
      out.write(`run ${run.uuid} of pipeline '${pipeline.id}' started (${pipeline.tasks.length} tasks${retry})\n`);
    }
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

/** `cairn run --help-params FILE|GROUP/PIPELINE`: the declared params, of a file or of a server's pipeline. */
async function helpParamsCommand(target: string, clientConfig: () => ClientConfig, io: CommandIo): Promise<number> {
  let pipeline: Pick<Pipeline, "id" | "params">;
  if (isLocalPipelineArgument(target, isFile)) {
    pipeline = await loadPipelineSource(target);
  } else {
    const ref = parsePipelineRef(target);
    const { client } = await connect(clientConfig());
    pipeline = parsePipeline(await client.getPipeline(ref.groupId, ref.pipelineId), `pipeline '${ref.pipelineId}'`);
  }
  io.out.write(io.json ? JSON.stringify({ pipeline: pipeline.id, params: pipeline.params ?? {} }) + "\n" : describeParams(pipeline));
  return EXIT.ok;
}

async function validateCommand(file: string, opts: { images: boolean }, global: GlobalOptions, out: Output, err: Output): Promise<number> {
  try {
    const pipeline = await loadPipelineSource(file);
    const warnings = undeclaredParamWarnings(pipeline);
    if (opts.images) {
      const config = configFor(global);
      warnings.push(...(await imageWarnings(pipeline, config, async () => (await import("../images/docker-image-engine.js")).DockerImageEngine.connect(config))));
    }
    if (global.json) {
      out.write(JSON.stringify({ valid: true, pipeline, warnings }) + "\n");
      return EXIT.ok;
    }
    out.write(`${file}: valid pipeline '${pipeline.id}' with ${pipeline.tasks.length} task(s)${warnings.length > 0 ? `, ${warnings.length} warning(s)` : ""}\n`);
    for (const w of warnings) err.write(`warning: ${w.path}: ${w.message}\n`);
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
  const cairn = await openLocal(config);
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

/**
 * The engine, store and runtimes for the local commands, loaded only by them: their
 * modules (the container engine client, the database drivers) take most of a start, and
 * the client commands need none of them.
 */
async function openLocal(config: CairnConfig, options: { prepareHost?: boolean } = {}) {
  const { openCairn } = await import("../open-cairn.js");
  return openCairn(config, { allowHostRuntime: true, secrets: async (name) => config.localSecrets[name], ...options });
}

function configFor(global: GlobalOptions): CairnConfig {
  return loadConfig(global.dataDir ? { dataDir: global.dataDir } : {});
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function reportError(error: unknown, err: Output): number {
  if (error instanceof ValidationError) {
    err.write(`error: ${error.message.split("\n")[0]}\n${formatIssues(error.issues)}\n`);
    return EXIT.badInput;
  }
  if (error instanceof ApiError && error.issues.length > 0) {
    // The server's message lists the issues already; print them once, as for a local file.
    err.write(`error: ${error.message.split("\n")[0]}\n${formatIssues(error.issues)}\n`);
    return error.code === "invalid_input" ? EXIT.badInput : EXIT.runFailed;
  }
  if (isCairnError(error)) {
    err.write(`error: ${describeError(error)}\n`);
    if (error instanceof ApiError && error.status === 401) err.write("log in again with `cairn login`\n");
    return error.code === "invalid_input" || error.code === "config_invalid" || error.code === "too_large" ? EXIT.badInput : EXIT.runFailed;
  }
  err.write(`error: ${describeError(error)}\n`);
  if (process.env.CAIRN_DEBUG) err.write(`${(error as Error)?.stack ?? ""}\n`);
  return EXIT.runFailed;
}
