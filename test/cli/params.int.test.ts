import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Declared params through the built `cairn` binary (`npm run build` first): checked
 * before anything runs (exit 2, no database made), defaults applied, listed by
 * `cairn run --help-params`.
 */

const repo = resolve(import.meta.dirname, "../..");
const bin = join(repo, "packages/cairn/bin/cairn.js");
let scratch: string;
let file: string;

function cairn(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: scratch, env: { PATH: process.env.PATH, HOME: scratch, CAIRN_DATA_DIR: dataDir } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "cairn-params-"));
  file = join(scratch, "greet.yaml");
  const code = Buffer.from('echo "$GREETING x$TIMES"').toString("base64");
  await writeFile(
    file,
    [
      "id: greet",
      "execution_profile: { runtime: host }",
      "params:",
      "  greeting: { type: string, required: true, description: what to say }",
      "  times: { type: number, default: 3 }",
      "  style: { enum: [plain, loud], default: plain }",
      "tasks:",
      "  - id: say",
      "    type: function",
      "    runtime: bash",
      `    code: ${code}`,
      "    input:",
      "      GREETING: { type: string, value_from: { params: greeting } }",
      "      TIMES: { type: string, value_from: { params: times } }",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("declared params", () => {
  it("lists them with --help-params, running nothing", async () => {
    const dataDir = join(scratch, "help");
    const r = await cairn(["run", "--help-params", file], dataDir);
    expect(r.stdout).toContain("params of pipeline 'greet' (--param NAME=VALUE):");
    expect(r.stdout).toContain("  greeting  string, required\n      what to say");
    expect(r.stdout).toContain("  times  number, default 3");
    expect(r.stdout).toContain('  style  string, default "plain", one of "plain", "loud"');
    expect(r.code).toBe(0);
    expect(existsSync(join(dataDir, "cairn.db"))).toBe(false);
  });

  it("refuses a run up front, with exit 2, for a missing, unknown or mistyped param", async () => {
    const dataDir = join(scratch, "refused");
    const r = await cairn(["run", file, "--param", "times=many", "--param", "colour=red", "--param", "style=quiet"], dataDir);
    expect(r.stderr).toContain("error: the run's params is invalid:");
    expect(r.stderr).toContain("params.colour: unknown param; the pipeline declares greeting, times, style");
    expect(r.stderr).toContain('params.times: expected a number, got "many"');
    expect(r.stderr).toContain('params.style: expected one of "plain", "loud", got "quiet"');
    expect(r.stderr).toContain("params.greeting: required param is missing (what to say)");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(2);
    expect(existsSync(join(dataDir, "cairn.db"))).toBe(false);
  });

  it("applies the defaults of the params not given", async () => {
    const r = await cairn(["run", file, "--param", "greeting=hello"], join(scratch, "ran"));
    expect(r.stdout).toContain("| hello x3");
    expect(r.code).toBe(0);
    const shown = await cairn(["--json", "runs"], join(scratch, "ran"));
    expect(JSON.parse(shown.stdout.trim()).params).toEqual({ greeting: "hello", times: "3", style: "plain" });
  });
});
