import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTACHMENTS_FOR_ALL, prepareInbox } from "./run-inbox.js";
import { runDir } from "./run-dir.js";

let dataDir: string;
const RUN = "run-1";
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "cairn-inbox-"));
  const all = join(runDir(dataDir, RUN), "attachments", ATTACHMENTS_FOR_ALL);
  mkdirSync(all, { recursive: true });
  writeFileSync(join(all, "data.txt"), "attached");
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe("prepareInbox", () => {
  it("makes a task's inbox of its attachments once, and hands the same folder to later attempts", async () => {
    const inbox = await prepareInbox(dataDir, RUN, "t");
    expect(readFileSync(join(inbox, "data.txt"), "utf8")).toBe("attached");
    expect(await prepareInbox(dataDir, RUN, "t")).toBe(inbox);
  });

  it("never hands on a link put in an inbox's place, which a container would mount as /inbox", async () => {
    const secret = join(dataDir, "server-secret");
    mkdirSync(secret);
    writeFileSync(join(secret, "secret.key"), "key");
    mkdirSync(join(runDir(dataDir, RUN), "inbox"));
    symlinkSync(secret, join(runDir(dataDir, RUN), "inbox", "t"));
    await expect(prepareInbox(dataDir, RUN, "t")).rejects.toMatchObject({ name: "TaskFailure", message: "the inbox of task 't' is a symbolic link, not a folder; links are never followed" });
    expect(readdirSync(secret)).toEqual(["secret.key"]);
  });
});
