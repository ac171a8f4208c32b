import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

/**
 * A real OpenSSH server (Debian's openssh-server) for SFTP tests: started by the test on a
 * private loopback port, with a host key and a user key generated for it, no systemd.
 * Key logins are as the user running the tests; `passwordUser()` adds a local user with a
 * password for the password case (needs root).
 */

const run = promisify(execFile);
export const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
  host: string;
  port: number;
  /** The user key logins use; its public half is the only authorized key. */
  username: string;
  privateKey: string;
  /** A key the server does not accept. */
  wrongKey: string;
  /** The host key's fingerprint, `SHA256:…`. */
  hostKeySha256: string;
  dir: string;
  close(): Promise<void>;
}

/** `extraConfig`: more sshd_config lines, e.g. `SetEnv SLURM_CONF=…` for the sessions' commands. */
export async function startSshd(options: { passwordLogin?: boolean; extraConfig?: string[] } = {}): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-sshd-"));
  // sshd refuses a config or key that others can write; mkdtemp gives 0700.
  const keygen = (file: string) => run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cairn-test", "-f", join(dir, file)]);
  await Promise.all([keygen("host_key"), keygen("user_key"), keygen("wrong_key")]);
  await writeFile(join(dir, "authorized_keys"), await readFile(join(dir, "user_key.pub")));
  await chmod(join(dir, "authorized_keys"), 0o600);
  // The privilege separation folder the Debian package makes at boot (via systemd-tmpfiles).
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${join(dir, "host_key")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PermitRootLogin yes",
    `PasswordAuthentication ${options.passwordLogin ? "yes" : "no"}`,
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    // The temp folder is world-writable above /tmp's sticky bit; nothing to check here.
    "StrictModes no",
    "Subsystem sftp internal-sftp",
    "LogLevel ERROR",
    ...(options.extraConfig ?? []),
  ].join("\n");
  await writeFile(join(dir, "sshd_config"), config + "\n");
  const child = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, child, () => stderr);
  const [privateKey, wrongKey] = await Promise.all([readFile(join(dir, "user_key"), "utf8"), readFile(join(dir, "wrong_key"), "utf8")]);
  const fingerprint = (await run("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "host_key.pub")])).stdout.split(" ")[1]!;
  return {
    host: "127.0.0.1",
    port,
    hostKeySha256: fingerprint,
    username: (await run("id", ["-un"])).stdout.trim(),
    privateKey,
    wrongKey,
    dir,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A local user with a fresh random password, made once per machine; root only. */
export async function passwordUser(name = "cairn-sftp-test"): Promise<{ username: string; password: string; home: string }> {
  const home = `/home/${name}`;
  try {
    await run("id", [name]);
  } catch {
    await run("useradd", ["--create-home", "--home-dir", home, "--shell", "/bin/sh", name]);
  }
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn("chpasswd", [], { stdio: ["pipe", "ignore", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd exited ${code}`))));
    child.stdin!.end(`${name}:${password}\n`);
  });
  return { username: name, password, home };
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port} within 10 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
