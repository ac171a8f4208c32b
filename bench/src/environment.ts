import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import type { Machine } from "./report.js";

/** What the measured processes see, and a description of the machine for the results. */

/**
 * The environment of every measured process, Cairn's and the baselines' alike:
 * - no CAIRN_* settings of the caller (a CAIRN_DATABASE_URL or CAIRN_KEEP_WORK_DIRS would
 *   change what is measured), except those the suite sets;
 * - PATH without version-manager shims (pyenv, rbenv, asdf): a pyenv shim costs ~300 ms
 *   per `python3` start on these machines and would drown both sides' figures.
 */
export function measuredEnvironment(base: NodeJS.ProcessEnv, settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith("CAIRN_")) env[key] = value;
  env.PATH = withoutShims(base.PATH ?? "");
  return { ...env, ...settings };
}

export function withoutShims(path: string): string {
  return path
    .split(":")
    .filter((dir) => dir !== "" && !/(^|\/)shims\/?$/.test(dir))
    .join(":");
}

/** The first match of `command -v` under the given PATH, or undefined. */
export function which(command: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync("bash", ["-c", `command -v ${command}`], { env, encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function describeMachine(loadAverageStart: number): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    os: osName(),
    loadAverageStart,
    loadAverageEnd: loadavg()[0]!,
  };
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    return pretty?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}
