import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { which } from "./environment.js";
import { BenchError } from "./measure.js";
import { CONTAINER_IMAGE } from "./workloads.js";

/**
 * What the baselines need beyond `scripts/setup.sh`: GNU make and python3 on the host.
 * Installed from Debian when missing and we are root (like setup.sh does for Podman);
 * a clear error otherwise.
 */

const APT_INSTALL = fileURLToPath(new URL("../../scripts/apt-install.sh", import.meta.url));
const DEBIAN_PACKAGES: Record<string, string> = { make: "make", python3: "python3" };

export function ensureHostTools(env: NodeJS.ProcessEnv): void {
  const missing = Object.keys(DEBIAN_PACKAGES).filter((tool) => which(tool, env) === undefined);
  if (missing.length === 0) return;
  const packages = missing.map((tool) => DEBIAN_PACKAGES[tool]!);
  if (process.getuid?.() !== 0) {
    throw new BenchError(`the benchmarks need ${missing.join(" and ")}; install them (apt-get install ${packages.join(" ")})`);
  }
  process.stdout.write(`bench: installing ${packages.join(" ")} with apt-get\n`);
  execFileSync("bash", [APT_INSTALL, ...packages], { stdio: "inherit" });
}

const SETUP_PODMAN = fileURLToPath(new URL("../../scripts/setup-podman.sh", import.meta.url));

/**
 * Undefined when the container workload can run; otherwise why not. When Podman or the
 * image is missing it runs scripts/setup-podman.sh first (as root), which installs Podman
 * from Debian and builds the image from busybox-static: nothing is pulled.
 */
export function containerWorkloadBlocker(env: NodeJS.ProcessEnv): string | undefined {
  if (podmanReady(env)) return undefined;
  if (process.getuid?.() === 0) {
    process.stdout.write(`bench: Podman or ${CONTAINER_IMAGE} is missing; running scripts/setup-podman.sh\n`);
    try {
      execFileSync("bash", [SETUP_PODMAN], { env, stdio: "inherit" });
    } catch {
      return "not run: scripts/setup-podman.sh failed (see its output above)";
    }
    if (podmanReady(env)) return undefined;
  }
  if (which("podman", env) === undefined) return "not run: podman is not installed (scripts/setup.sh installs it)";
  return `not run: the image ${CONTAINER_IMAGE} is missing (scripts/setup.sh builds it)`;
}

function podmanReady(env: NodeJS.ProcessEnv): boolean {
  if (which("podman", env) === undefined) return false;
  try {
    execFileSync("podman", ["image", "exists", CONTAINER_IMAGE], { env, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
