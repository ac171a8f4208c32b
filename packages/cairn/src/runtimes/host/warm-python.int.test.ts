import { existsSync, readFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ResourceUsage } from "../runtime.js";
import { HostRuntime } from "./host-runtime.js";
import { LauncherSpawner } from "./launcher-spawner.js";
import { CONTEXT_LIBRARY_DIR } from "../../tasks/function/context-library.js";
import { isAlive, spec } from "../../../../../test/support/host-processes.js";

/**
 * `python3 SCRIPT.py` started as a fork of the launcher's warm interpreter, against the
 * same script exec'd as python3 by a launcher with the fork turned off: real processes,
 * compared byte for byte. python3 itself is the reference for every outcome here.
 */

const PYTHON = "/usr/bin/python3";
/** python3 on this PATH is the launcher's interpreter (a version manager's shim would not be). */
const TASK_PATH = "/usr/bin:/bin";

interface Outcome {
  forked: boolean;
  execBecause: string | undefined;
  exitCode: number;
  stdout: string;
  stderr: string;
  usage: ResourceUsage | undefined;
}

/** Runs `command args` with the launcher's locale and TASK_PATH under `env`. */
function run(spawner: LauncherSpawner, args: string[], env: Record<string, string>, cwd: string, command = "python3"): Promise<Outcome> {
  return runWithEnv(spawner, args, { PATH: TASK_PATH, ...localeOf(process.env), ...env }, cwd, command);
}

/** Runs `command args` with exactly `env`. */
function runWithEnv(spawner: LauncherSpawner, args: string[], env: Record<string, string>, cwd: string, command = "python3"): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    let started: { forked: boolean; execBecause: string | undefined } | undefined;
    let ended: Omit<Outcome, "forked" | "execBecause"> | undefined;
    const finish = () => {
      if (started && ended) resolve({ ...started, ...ended });
    };
    spawner
      .spawn(
        { command, args, env, cwd },
        {
          output: (stream, chunk) => (stream === "stdout" ? (stdout += chunk.toString()) : (stderr += chunk.toString())),
          end: (end) => {
            if (end.kind === "lost") return reject(new Error(end.reason));
            ended = { exitCode: end.exitCode, stdout, stderr, usage: end.usage };
            finish();
          },
        },
      )
      .then(({ forked, execBecause }) => {
        started = { forked, execBecause };
        finish();
      }, reject);
  });
}

/** The locale the launcher got from this process, as HostRuntime gives it to its tasks: a task with another is exec'd. */
function localeOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return env.LANG === undefined ? {} : { LANG: env.LANG };
}

/** Everything a script can see of how it was started, but for what a fork keeps on purpose (imported modules, the launcher's leaked descriptors). */
const PROBE = `
import builtins, json, os, signal, subprocess, sys, time
from cairn_context import get_input
state = {
    "argv": sys.argv, "orig_argv": sys.orig_argv, "path": sys.path, "executable": sys.executable, "prefix": sys.prefix,
    "flags": list(sys.flags), "bytecode": sys.dont_write_bytecode, "cwd": os.getcwd(), "env": dict(os.environ),
    "c_env": sorted(subprocess.run(["env"], capture_output=True, text=True).stdout.splitlines()),
    "globals": [(name, type(value).__name__) for name, value in globals().items() if name != "state"],
    "loader": type(__loader__).__name__, "main": sys.modules["__main__"].__dict__ is globals(),
    "signals": {int(s): repr(signal.getsignal(s)) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)},
    "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "streams": [(s.name, s.encoding, s.errors, s.line_buffering, s.write_through, s.mode, type(s.buffer).__name__) for s in (sys.stdin, sys.stdout, sys.stderr)],
    "original_streams": [sys.stdin is sys.__stdin__, sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__],
    "builtins": [name for name in ("exit", "quit", "help", "copyright", "credits", "license") if hasattr(builtins, name)],
    "interactive_hook": hasattr(sys, "__interactivehook__"),
    "own_group": os.getpgid(0) == os.getpid(), "same_session": os.getsid(0) == os.getsid(os.getppid()),
    "stdin": sys.stdin.read(), "tz": list(time.tzname), "input": get_input("GREETING"),
}
print(json.dumps(state, sort_keys=True))
print(json.dumps({"warm": "warm_python" in sys.modules, "fds": sorted(os.listdir("/proc/self/fd"), key=int)}))
`;

describe.skipIf(!existsSync(PYTHON))("python3 tasks forked from the launcher's warm interpreter", () => {
  let warm: LauncherSpawner;
  let cold: LauncherSpawner;
  let dir: string;
  const script = (name: string, source: string) => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };

  beforeAll(async () => {
    // In the C locale Python coerces LC_CTYPE at its start, and a launcher started so
    // differs from its tasks (which then are exec'd): give it the usual UTF-8 locale.
    process.env.LANG ??= "C.UTF-8";
    dir = realpathSync(mkdtempSync(join(tmpdir(), "cairn-warm-python-")));
    mkdirSync(join(dir, "work"));
    [warm, cold] = await Promise.all([LauncherSpawner.start({ python: PYTHON, pythonFork: true }), LauncherSpawner.start({ python: PYTHON, pythonFork: false })]);
  });
  afterAll(async () => {
    await Promise.all([warm?.close(), cold?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** The same script through both launchers: the fork's outcome, after checking it equals python3's. */
  async function bothWays(path: string, env: Record<string, string> = {}): Promise<Outcome> {
    const [forked, execd] = await Promise.all([run(warm, [path], env, join(dir, "work")), run(cold, [path], env, join(dir, "work"))]);
    expect(forked.forked).toBe(true);
    expect(execd.forked).toBe(false);
    expect({ exitCode: forked.exitCode, stdout: forked.stdout, stderr: forked.stderr }).toEqual({ exitCode: execd.exitCode, stdout: execd.stdout, stderr: execd.stderr });
    return forked;
  }

  it("gives the script what python3 gives it: argv, sys.path, flags, environment, cwd, signals, streams, a clean __main__", async () => {
    const env = {
      HOME: dir,
      TZ: "CAIRN+3",
      PYTHONPATH: `${CONTEXT_LIBRARY_DIR}/python:lib::${dir}/x/../y`,
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      GREETING: "hello",
    };
    const probe = script("probe.py", PROBE);
    const [forked, execd] = await Promise.all([run(warm, [probe], env, join(dir, "work")), run(cold, [probe], env, join(dir, "work"))]);
    expect([forked.forked, forked.exitCode, forked.stderr]).toEqual([true, 0, ""]);
    expect([execd.forked, execd.exitCode, execd.stderr]).toEqual([false, 0, ""]);
    const [forkedState, forkedExtra] = forked.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const [execdState, execdExtra] = execd.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(forkedState).toEqual(execdState);
    expect(forkedState).toMatchObject({ input: "hello", stdin: "", tz: ["CAIRN", "CAIRN"], own_group: true, cwd: join(dir, "work") });
    // The proof that one of them really was a fork: the launcher's modules are there. And
    // only stdin, stdout, stderr and listdir's own descriptor are open in it.
    expect(forkedExtra).toEqual({ warm: true, fds: ["0", "1", "2", "3"] });
    expect(execdExtra).toMatchObject({ warm: false });
  });

  it("in the C locale, gives the script the coerced LC_CTYPE and UTF-8 mode python3 gives it", async () => {
    // A launcher started without LANG (a service's environment) has its LC_CTYPE coerced at its start, as python3 has.
    const lang = process.env.LANG;
    delete process.env.LANG;
    const inCLocale = await LauncherSpawner.start({ python: PYTHON, pythonFork: true }).finally(() => (process.env.LANG = lang));
    try {
      const probe = script("probe-c.py", PROBE);
      const base = { PATH: TASK_PATH, PYTHONPATH: `${CONTEXT_LIBRARY_DIR}/python`, GREETING: "hi" };
      const [forked, execd] = await Promise.all([runWithEnv(inCLocale, [probe], base, dir), runWithEnv(cold, [probe], base, dir)]);
      expect([forked.forked, forked.exitCode, forked.stderr]).toEqual([true, 0, ""]);
      expect([execd.forked, execd.exitCode]).toEqual([false, 0]);
      const [forkedState] = forked.stdout.split("\n").map((line) => JSON.parse(line || "null") as unknown);
      const [execdState] = execd.stdout.split("\n").map((line) => JSON.parse(line || "null") as unknown);
      expect(forkedState).toEqual(execdState);
      expect(forkedState).toMatchObject({ env: { LC_CTYPE: "C.UTF-8" } });
      // Set by the task, the same name is no coercion (and no UTF-8 mode): an exec.
      expect(await runWithEnv(inCLocale, [probe], { ...base, LC_CTYPE: "C.UTF-8" }, dir)).toMatchObject({ forked: false, execBecause: "LC_CTYPE differs from the launcher's" });
    } finally {
      await inCLocale.close();
    }
  });

  it("ends as python3 ends: exit codes, tracebacks, SystemExit messages, KeyboardInterrupt, atexit and threads", async () => {
    const cases: Array<[string, string, number]> = [
      ["exit3.py", "import sys\nprint('a')\nsys.exit(3)\n", 3],
      ["raises.py", "def inner():\n    raise ValueError('bad')\nprint('before')\ninner()\n", 1],
      ["os_exit.py", "import os\nprint('x', flush=True)\nos._exit(5)\n", 5],
      ["exit_message.py", "raise SystemExit('a message')\n", 1],
      ["interrupted.py", "raise KeyboardInterrupt\n", 130],
      ["syntax.py", "def (:\n", 1],
      ["chained.py", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    raise RuntimeError('wrapped') from e\n", 1],
      ["hooked.py", "import sys\nsys.excepthook = lambda t, v, tb: print('hook', t.__name__, tb.tb_frame.f_code.co_filename, file=sys.stderr)\nraise OSError('x')\n", 1],
      ["atexit_thread.py", "import atexit, threading, time\natexit.register(lambda: print('atexit ran'))\nthreading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\nprint('main done', end='')\n", 0],
      ["builtin_exit.py", "import sys\nsys.stdout.write('buffered')\nprint('err', file=sys.stderr)\nexit(4)\n", 4],
      ["lines.py", "import sys\nfor i in range(3):\n    print(f'out {i}')\n    print(f'err {i}', file=sys.stderr)\n", 0],
    ];
    for (const [name, source, exitCode] of cases) {
      // Once unbuffered as function tasks run, once with Python's own buffering.
      for (const env of [{ PYTHONUNBUFFERED: "1" }, {}] as Record<string, string>[]) {
        const outcome = await bothWays(script(name, source), env);
        expect(outcome.exitCode, name).toBe(exitCode);
      }
    }
    const raised = await bothWays(join(dir, "raises.py"));
    expect(raised.stderr).toBe(
      `Traceback (most recent call last):\n  File "${dir}/raises.py", line 4, in <module>\n    inner()\n  File "${dir}/raises.py", line 2, in inner\n    raise ValueError('bad')\nValueError: bad\n`,
    );
    expect((await bothWays(join(dir, "atexit_thread.py"))).stdout).toBe("main donethread done\natexit ran\n");
  });

  it("finalizes what the task's modules hold at its end, as python3 does: unclosed files, __del__, weakref.finalize, a replaced stdout", async () => {
    writeFileSync(join(dir, "work", "holder.py"), "class Noisy:\n    def __del__(self):\n        print('module object finalized')\nkept = Noisy()\n");
    const source = [
      "import os, sys, weakref",
      "sys.path.insert(0, os.getcwd())",
      "import holder",
      "class Noisy:",
      "    def __init__(self, name): self.name = name",
      "    def __del__(self): print('finalized', self.name)",
      "class Upper:",
      "    def __init__(self, stream): self.stream = stream",
      "    def write(self, text): return self.stream.write(text.upper())",
      "    def flush(self): self.stream.flush()",
      "out = open(sys.argv[0] + '.txt', 'w')",
      "out.write('written, never closed')",
      "first, second = Noisy('first'), Noisy('second')",
      "cycle = Noisy('in a cycle'); cycle.me = cycle",
      "weakref.finalize(first, print, 'weakref.finalize ran')",
      "sys.stdout = Upper(sys.stdout)",
      "print('through the replacement')",
      "sys.exit(ARGUMENT)",
    ].join("\n");
    // Which module's objects python3 itself finalizes first varies from run to run (it
    // depends on when the collector last ran): the lines are compared as a set.
    const lines = (text: string) => text.split("\n").sort();
    for (const [name, argument, exitCode] of [["ends.py", "0", 0], ["ends_badly.py", "3", 3], ["ends_with_none.py", "None", 0], ["ends_negative.py", "-1", 255]] as const) {
      const path = script(name, source.replace("ARGUMENT", argument) + "\n");
      const env = { PYTHONUNBUFFERED: "1" };
      const [outcome, execd] = await Promise.all([run(warm, [path], env, join(dir, "work")), run(cold, [path], env, join(dir, "work"))]);
      expect(outcome.forked).toBe(true);
      expect({ exitCode: outcome.exitCode, stdout: lines(outcome.stdout), stderr: outcome.stderr }, name).toEqual({ exitCode: execd.exitCode, stdout: lines(execd.stdout), stderr: execd.stderr });
      expect(outcome.exitCode, name).toBe(exitCode);
      expect(outcome.stdout.split("\n").slice(0, 2), name).toEqual(["THROUGH THE REPLACEMENT", "WEAKREF.FINALIZE RAN"]);
      expect(outcome.stdout, name).toContain("THROUGH THE REPLACEMENT");
      expect(outcome.stdout, name).toContain("finalized second");
      expect(outcome.stdout, name).toContain("module object finalized");
      expect(readFileSync(`${path}.txt`, "utf8"), name).toBe("written, never closed");
    }
    // With Python's own buffering too, and an exception's exit status.
    const raised = await bothWays(script("raises_buffered.py", "class N:\n    def __del__(self): print('bye')\nn = N()\nprint('buffered')\nraise ValueError('x')\n"));
    expect(raised).toMatchObject({ exitCode: 1, stdout: "buffered\nbye\n" });
  });

  it("lets the script fork, spawn and start interpreters that get its own flags (multiprocessing's spawn re-imports __main__)", async () => {
    const source = [
      "import multiprocessing, os, subprocess, sys",
      "def child(queue):",
      "    queue.put((sys.flags.no_site, sys.flags.isolated, __name__))",
      "if __name__ == '__main__':",
      "    pid = os.fork()",
      "    if pid == 0:",
      "        print('forked child', flush=True)",
      "        os._exit(0)",
      "    os.waitpid(pid, 0)",
      "    print(subprocess.run(['echo', 'spawned'], capture_output=True, text=True).stdout.strip())",
      "    spawn = multiprocessing.get_context('spawn')",
      "    queue = spawn.Queue()",
      "    process = spawn.Process(target=child, args=(queue,))",
      "    process.start()",
      "    print(queue.get())",
      "    process.join()",
    ].join("\n");
    const outcome = await bothWays(script("children.py", source), { PYTHONUNBUFFERED: "1" });
    expect(outcome.stdout).toBe("forked child\nspawned\n(0, 0, '__mp_main__')\n");
  });

  it("runs many forked tasks at once, each with its own output and exit code", async () => {
    const source = "import sys, time\nn = int(sys.argv[0].rsplit('-', 1)[1].split('.')[0])\ntime.sleep((30 - n) / 200)\nprint(f'out {n}')\nprint(f'err {n}', file=sys.stderr)\nsys.exit(n % 7)\n";
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, n) => run(warm, [script(`many-${n}.py`, source)], {}, dir)));
    expect(outcomes.map((o) => [o.forked, o.exitCode, o.stdout, o.stderr])).toEqual(Array.from({ length: 30 }, (_, n) => [true, n % 7, `out ${n}\n`, `err ${n}\n`]));
  });

  it("reports what the forked process used (wait4)", async () => {
    const outcome = await bothWays(script("fib.py", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(24))\n"));
    expect(outcome.stdout).toBe("46368\n");
    expect(outcome.usage).toBeDefined();
    expect(outcome.usage!.cpuSeconds).toBeGreaterThan(0);
    expect(outcome.usage!.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
  });

  it("is stopped with its children by SIGTERM to its group, by SIGKILL when it ignores SIGTERM, and turns SIGINT into KeyboardInterrupt", async () => {
    const runtime = new HostRuntime({ spawner: "launcher", launcher: { python: PYTHON, pythonFork: true } });
    try {
      const source = (ignoreTerm: boolean) =>
        [
          "import signal, subprocess, sys, time",
          ...(ignoreTerm ? ["signal.signal(signal.SIGTERM, signal.SIG_IGN)"] : []),
          "sleeper = subprocess.Popen(['sleep', '30'])",
          "print('warm_python' in sys.modules, sleeper.pid, flush=True)",
          "time.sleep(30)",
        ].join("\n");
      for (const [ignoreTerm, exitCode] of [
        [false, 128 + 15],
        [true, 128 + 9],
      ] as const) {
        const lines: string[] = [];
        const proc = await runtime.start(spec(["python3", script(`sleeps-${ignoreTerm}.py`, source(ignoreTerm))], { env: { PATH: TASK_PATH } }), (_s, line) => lines.push(line));
        await vi.waitFor(() => expect(lines.length).toBe(1), { timeout: 10_000 });
        const [warmFlag, sleeper] = lines[0]!.split(" ");
        expect(warmFlag).toBe("True");
        await proc.kill();
        expect(await proc.wait()).toMatchObject({ exitCode, killed: true });
        await vi.waitFor(() => expect(isAlive(Number(sleeper))).toBe(false));
      }

      const lines: string[] = [];
      const interrupted = await runtime.start(spec(["python3", script("waits.py", "import time\nprint('up', flush=True)\ntime.sleep(30)\n")], { env: { PATH: TASK_PATH } }), (stream, line) => lines.push(`${stream}: ${line}`));
      await vi.waitFor(() => expect(lines).toEqual(["stdout: up"]), { timeout: 10_000 });
      process.kill(-Number(interrupted.handle), "SIGINT");
      expect(await interrupted.wait()).toMatchObject({ exitCode: 130 });
      expect(lines.at(-1)).toBe("stderr: KeyboardInterrupt");
      expect(lines).toContain("stderr: Traceback (most recent call last):");
    } finally {
      await runtime.close();
    }
  }, 30_000);

  it("dies with its launcher, like any process the launcher started", async () => {
    const spawner = await LauncherSpawner.start({ python: PYTHON, pythonFork: true });
    try {
      let out = "";
      const ended = new Promise<string>((resolve) => {
        void spawner.spawn(
          { command: "python3", args: [script("long.py", "import time\nprint('up', flush=True)\ntime.sleep(30)\n")], env: { PATH: TASK_PATH } },
          { output: (_s, chunk) => (out += chunk.toString()), end: (end) => resolve(end.kind) },
        );
      });
      await vi.waitFor(() => expect(out).toBe("up\n"), { timeout: 10_000 });
      process.kill(spawner.launcherPid!, "SIGKILL");
      expect(await ended).toBe("lost");
    } finally {
      await spawner.close();
    }
  });

  it("execs python3 instead where a fork could differ, and says why", async () => {
    const show = script("show.py", "import json, sys\nprint(getattr(json, 'MINE', 'stdlib json'), 'warm_python' in sys.modules)\n");
    const shim = join(dir, "shim");
    mkdirSync(shim);
    writeFileSync(join(shim, "python3"), `#!/bin/sh\nexec ${PYTHON} "$@"\n`, { mode: 0o755 });
    const venv = join(dir, "venv");
    mkdirSync(join(venv, "bin"), { recursive: true });
    symlinkSync(PYTHON, join(venv, "bin", "python3"));
    writeFileSync(join(venv, "pyvenv.cfg"), "home = /usr/bin\ninclude-system-site-packages = false\n");
    const shadow = join(dir, "shadow");
    mkdirSync(shadow);
    writeFileSync(join(shadow, "json.py"), "MINE = 'the task\\'s json'\n");

    const cases: Array<[Record<string, string>, RegExp, string]> = [
      [{ PYTHONHOME: "/usr" }, /^PYTHONHOME is set$/, "stdlib json False"],
      [{ PYTHONSAFEPATH: "1" }, /^PYTHONSAFEPATH is set$/, "stdlib json False"],
      [{ PYTHONHASHSEED: "0" }, /^PYTHONHASHSEED is set$/, "stdlib json False"],
      [{ LANG: "C" }, /^LANG differs from the launcher's$/, "stdlib json False"],
      [{ LD_LIBRARY_PATH: dir }, /^LD_LIBRARY_PATH is set$/, "stdlib json False"],
      [{ PYTHONUNBUFFERED: "yes" }, /^PYTHONUNBUFFERED is not a number$/, "stdlib json False"],
      [{ PATH: `${shim}:${TASK_PATH}` }, /^python3 is .*\/shim\/python3, not the launcher's/, "stdlib json False"],
      [{ PATH: `${venv}/bin:${TASK_PATH}` }, /virtual environment/, "stdlib json False"],
      // python3 imports the task's json.py, since json is not loaded when it starts; so must this.
      [{ PYTHONPATH: shadow }, /json\.py would be imported instead of the standard library's json$/, "the task's json False"],
    ];
    for (const [env, why, printed] of cases) {
      const outcome = await run(warm, [show], env, dir);
      expect([outcome.forked, outcome.execBecause, outcome.stdout, outcome.exitCode]).toEqual([false, expect.stringMatching(why), `${printed}\n`, 0]);
    }

    // A missing script gets python3's own message; other commands and a launcher without the fork say nothing.
    const missing = await run(warm, [join(dir, "missing.py")], {}, dir);
    expect([missing.forked, missing.exitCode, missing.stderr]).toEqual([false, 2, expect.stringContaining("can't open file")]);
    expect(await run(warm, ["-c", "print(1)"], {}, dir)).toMatchObject({ forked: false, execBecause: undefined, stdout: "1\n" });
    expect(await run(cold, [show], {}, dir)).toMatchObject({ forked: false, execBecause: undefined, stdout: "stdlib json False\n" });
    expect(await run(warm, ["-c", "echo $0", "sh"], {}, dir, "sh")).toMatchObject({ forked: false, execBecause: undefined, stdout: "sh\n" });
    expect(await run(warm, [show], {}, dir)).toMatchObject({ forked: true, stdout: "stdlib json True\n" });
  });
});
