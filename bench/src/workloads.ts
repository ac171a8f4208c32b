import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chainDag, fanDag, layersDag, type DagNode } from "./dag.js";
import { makefileFor } from "./makefile.js";
import { timeSuccessfulProcess } from "./measure.js";
import { containerRunTask, hostFunctionTask, pipelineFor, type PipelineDocument } from "./pipeline.js";

/**
 * What the suite runs: each workload is a Cairn pipeline and one or more baselines that
 * do the same work without Cairn (GNU make over the same DAG, or a shell loop).
 */

export interface Baseline {
  /** Shown in the table, e.g. `make -j2`. */
  name: string;
  /** Prepares its files under `scratch` (untimed), then returns the wall time of the work in ms. */
  run(scratch: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number>;
}

export interface Workload {
  name: string;
  tasks: number;
  repeats: number;
  pipeline: PipelineDocument;
  /** An output every task must have recorded, checked after each Cairn run. */
  expectOutput?: string;
  needsPodman: boolean;
  /** One untimed run of each side before measuring, for costs paid once (a container engine's first container). */
  warmUp?: { pipeline: PipelineDocument; baseline: Baseline };
  baselines: Baseline[];
  /** A measurement taking longer than this is stopped and the suite fails: the engine hangs. */
  timeoutMs: number;
}

export interface SuiteOptions {
  quick: boolean;
  /** Parallel tasks: CAIRN_MAX_PARALLEL_TASKS and make's -j. */
  parallel: number;
  /** Overrides every workload's repeat count. */
  repeats?: number;
}

/** Each task writes one tiny output file, as the issue asks; Cairn records it as the output `out`. */
const WRITE_OUTPUT = 'echo x > "$CAIRN_OUTPUTS_DIR/out"\n';
/** The no-op of fan-10000: still a real bash process per task. */
export const NO_OP = ":\n";
/** Windmill's comparison workload: a small Fibonacci number in a fresh Python process. */
const FIBONACCI = `import os


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


result = fib(10)
with open(os.path.join(os.environ["CAIRN_OUTPUTS_DIR"], "fib"), "w") as out:
    out.write(str(result))
print(result)
`;
export const CONTAINER_IMAGE = "localhost/busybox:test";

export function suite(options: SuiteOptions): Workload[] {
  const times = (full: number, quick: number) => options.repeats ?? (options.quick ? quick : full);
  const j = options.parallel;
  const shellDag = (name: string, dag: DagNode[], repeats: number, source = WRITE_OUTPUT): Workload => ({
    name,
    tasks: dag.length,
    repeats,
    pipeline: pipelineFor(name, dag, hostFunctionTask("bash", source)),
    expectOutput: source === WRITE_OUTPUT ? "out" : undefined,
    needsPodman: false,
    baselines: [makeBaseline(dag, source, j)],
    timeoutMs: 60_000 + dag.length * 100,
  });

  const small: Workload[] = [
    shellDag("chain-100", chainDag(100), times(5, 3)),
    shellDag("fan-100", fanDag(100), times(5, 3)),
    shellDag("layers-10x10", layersDag(10, 10), times(5, 3)),
  ];
  const large: Workload[] = options.quick
    ? []
    : [shellDag("chain-1000", chainDag(1000), times(3, 3)), shellDag("fan-1000", fanDag(1000), times(3, 3))];
  const python: Workload = {
    name: "python-chain-40",
    tasks: 40,
    repeats: times(5, 3),
    pipeline: pipelineFor("python-chain-40", chainDag(40), hostFunctionTask("python3", FIBONACCI)),
    expectOutput: "fib",
    needsPodman: false,
    baselines: [shellLoopBaseline("python3 loop", 40, 'code=$(cat "$scratch/fib.py")', 'python3 -c "$code"', { "fib.py": FIBONACCI })],
    timeoutMs: 120_000,
  };
  const podmanRun = (network: boolean) => `podman run --rm${network ? "" : " --network none"} ${CONTAINER_IMAGE} true`;
  const containers: Workload = {
    name: "containers-20",
    tasks: 20,
    repeats: times(3, 1),
    pipeline: pipelineFor("containers-20", chainDag(20), containerRunTask(CONTAINER_IMAGE, ["true"])),
    needsPodman: true,
    warmUp: {
      pipeline: pipelineFor("containers-warm-up", chainDag(2), containerRunTask(CONTAINER_IMAGE, ["true"])),
      baseline: shellLoopBaseline("warm-up", 1, "", podmanRun(true)),
    },
    // The baseline, plain `podman run --rm`: the engine's default network, as Cairn's
    // container_run has. Without a network (the full run only) shows what setting one up costs.
    baselines: [
      shellLoopBaseline("podman run", 20, "", podmanRun(true)),
      ...(options.quick ? [] : [shellLoopBaseline("podman run --network none", 20, "", podmanRun(false))]),
    ],
    timeoutMs: 300_000,
  };
  const builds = [imageBuildWorkload("image-build-cold", false, times(3, 1)), imageBuildWorkload("image-build-warm", true, times(3, 2))];
  // The same no-op fan at two sizes: the scheduler's work per task must not grow with the DAG.
  const scaling: Workload[] = options.quick
    ? []
    : [shellDag("fan-noop-1000", fanDag(1000), times(3, 1), NO_OP), shellDag("fan-10000", fanDag(10_000), times(1, 1), NO_OP)];
  return [...small, ...large, python, containers, ...builds, ...scaling];
}

/**
 * The "Speed" part of the Images issue: one image built by an image_build task from an
 * inline Dockerfile, next to `podman build` of the same Dockerfile. Cold: no layer cache
 * on either side; warm: the cache on, after one untimed build of each, so every layer is
 * reused. Both sides use the same image store, as a server and its users' CLI would.
 */
const BUILD_DOCKERFILE = `FROM ${CONTAINER_IMAGE}
RUN dd if=/dev/zero of=/data bs=1M count=16 2>/dev/null
RUN sha256sum /data > /data.sum
RUN mkdir /tree && for i in $(seq 1 300); do echo $i > /tree/$i; done
CMD ["cat", "/data.sum"]
`;

function imageBuildWorkload(name: string, cache: boolean, repeats: number): Workload {
  const task = {
    type: "image_build",
    builder: "podman",
    cache,
    context: { type: "inline", dockerfile: BUILD_DOCKERFILE },
    destination: { type: "local", url: "cairn-bench/build", tag: "cairn" },
  };
  const pipeline = { id: name, tasks: [{ ...task, id: "build" }] };
  const podmanBuild: Baseline = {
    name: cache ? "podman build" : "podman build --no-cache",
    async run(scratch, env, timeoutMs) {
      const dir = await mkdtemp(join(scratch, "build-"));
      try {
        await writeFile(join(dir, "Dockerfile"), BUILD_DOCKERFILE);
        const args = ["build", "-q", ...(cache ? [] : ["--no-cache"]), "-t", "localhost/cairn-bench/build:baseline", dir];
        return await timeSuccessfulProcess("podman", args, { cwd: dir, env, timeoutMs });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return {
    name,
    tasks: 1,
    repeats,
    pipeline,
    needsPodman: true,
    ...(cache ? { warmUp: { pipeline: { ...pipeline, id: `${name}-warm-up` }, baseline: podmanBuild } } : {}),
    baselines: [podmanBuild],
    timeoutMs: 300_000,
  };
}

/** GNU make with -jN over the same DAG, each task running the same script with the same CAIRN_OUTPUTS_DIR. */
export function makeBaseline(dag: DagNode[], source: string, jobs: number): Baseline {
  return {
    name: `make -j${jobs}`,
    async run(scratch, env, timeoutMs) {
      const dir = await mkdtemp(join(scratch, "make-"));
      try {
        const script = join(dir, "task.sh");
        await writeFile(script, source);
        await writeFile(join(dir, "Makefile"), makefileFor(dag, { command: ["bash", script], outputsRoot: join(dir, "outputs") }));
        // Cairn makes each attempt's folders itself, inside its timing; make gets them ready-made.
        for (const node of dag) await mkdir(join(dir, "outputs", node.id), { recursive: true });
        return await timeSuccessfulProcess("make", [`-j${jobs}`, "-s", "-f", "Makefile"], { cwd: dir, env, timeoutMs });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * `count` iterations of `command` run one after another by bash, each with its own
 * CAIRN_OUTPUTS_DIR; `setup` runs once before the loop, `files` are written beforehand.
 */
function shellLoopBaseline(name: string, count: number, setup: string, command: string, files: Record<string, string> = {}): Baseline {
  return {
    name,
    async run(scratch, env, timeoutMs) {
      const dir = await mkdtemp(join(scratch, "loop-"));
      try {
        for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
        for (let i = 1; i <= count; i++) await mkdir(join(dir, "outputs", String(i)), { recursive: true });
        const loop = [
          "set -e",
          `scratch=${dir}`,
          setup,
          `for i in $(seq 1 ${count}); do CAIRN_OUTPUTS_DIR="$scratch/outputs/$i" ${command}; done`,
        ].join("\n");
        await writeFile(join(dir, "loop.sh"), loop + "\n");
        return await timeSuccessfulProcess("bash", [join(dir, "loop.sh")], { cwd: dir, env, timeoutMs });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
