import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordUser, startSshd, type TestSshd } from "../../../../test/support/sshd.js";
import { checkWritable } from "./archive-target.js";
import { openSftpTarget } from "./sftp-target.js";

/** Against Debian's OpenSSH server on a private loopback port, with generated keys. */
describe("SFTP archive target", () => {
  let sshd: TestSshd;
  let dir: string;

  beforeAll(async () => {
    sshd = await startSshd({ passwordLogin: process.getuid?.() === 0 });
    dir = await mkdtemp(join(tmpdir(), "cairn-sftp-root-"));
  });
  afterAll(async () => {
    await sshd?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("logs in with a key, creates folders and writes buffers and streams", async () => {
    const target = await openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: dir, archiveDir: "/workflows/archive/", credentials: { username: sshd.username, private_key: sshd.privateKey } });
    try {
      expect(target.location).toBe(`sftp://${sshd.username}@127.0.0.1:${sshd.port}${dir}/workflows/archive`);
      await checkWritable(target, "run-1");
      await target.mkdir("run-1/task/output");
      await target.writeFile("run-1/task/output/.stdout", Buffer.from("hello\n"));
      await target.writeFile("run-1/task/output/big", Readable.from([Buffer.alloc(300_000, "x"), Buffer.alloc(5, "y")]));
    } finally {
      await target.close();
    }
    const out = join(dir, "workflows/archive/run-1/task/output");
    expect(await readFile(join(out, ".stdout"), "utf8")).toBe("hello\n");
    expect((await stat(join(out, "big"))).size).toBe(300_005);
  });

  it("reports a refused key clearly, as not worth retrying", async () => {
    const opening = openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: dir, archiveDir: "a", credentials: { username: sshd.username, private_key: sshd.wrongKey } });
    await expect(opening).rejects.toMatchObject({
      name: "ArchivingError",
      retryable: false,
      message: `SSH login as ${sshd.username}@127.0.0.1:${sshd.port} was refused: the identity's key was not accepted`,
    });
  });

  it("checks the host key when one is given", async () => {
    const credentials = { username: sshd.username, private_key: sshd.privateKey };
    const known = await openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: dir, archiveDir: "k", credentials, hostKeySha256: sshd.hostKeySha256 });
    await known.close();
    const other = `SHA256:${"A".repeat(43)}`;
    await expect(openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: dir, archiveDir: "k", credentials, hostKeySha256: other })).rejects.toMatchObject({
      retryable: false,
      message: `the SSH server 127.0.0.1:${sshd.port} showed host key ${sshd.hostKeySha256}, not the system's host_key ${other}`,
    });
  });

  it("reports a server that is not there as worth retrying", async () => {
    const sshdGone = await startSshd();
    await sshdGone.close();
    const opening = openSftpTarget({ host: "127.0.0.1", port: sshdGone.port, rootDir: dir, archiveDir: "a", credentials: { username: "x", password: "y" } });
    await expect(opening).rejects.toMatchObject({ name: "ArchivingError", retryable: true, message: expect.stringMatching(/cannot reach the SSH server 127\.0\.0\.1:\d+: .*ECONNREFUSED/) });
  });

  it.runIf(process.getuid?.() === 0)("logs in with a password, and refuses a wrong one", async () => {
    const user = await passwordUser();
    const target = await openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: "archive-root", archiveDir: "x", credentials: { username: user.username, password: user.password } });
    try {
      expect(target.location).toBe(`sftp://${user.username}@127.0.0.1:${sshd.port}/~/archive-root/x`);
      await target.writeFile("f", Buffer.from("by password\n"));
    } finally {
      await target.close();
    }
    expect(await readFile(join(user.home, "archive-root/x/f"), "utf8")).toBe("by password\n");
    await rm(join(user.home, "archive-root"), { recursive: true, force: true });

    const wrong = openSftpTarget({ host: sshd.host, port: sshd.port, rootDir: "r", archiveDir: "x", credentials: { username: user.username, password: "not-the-password" } });
    await expect(wrong).rejects.toMatchObject({ retryable: false, message: expect.stringContaining("the identity's password was not accepted") });
  });
});
