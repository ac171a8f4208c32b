import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attemptRoot, makeAttemptFolders, type AttemptFolderOptions, type AttemptFolders } from "../workspace/attempt-files.js";
import { HandedOnFolders } from "./handed-on-folders.js";

/** Real folders in a scratch data dir: what is handed on, and what is refused, is the file system's state. */

const RUN = "run-1";
let dataDir: string;
let empty: string;
let hostOptions: AttemptFolderOptions;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "cairn-handed-on-"));
  empty = join(dataDir, "empty");
  mkdirSync(empty);
  hostOptions = { forContainer: false, extra: ["work"], noInputs: empty };
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function ended(taskId: string, options = hostOptions, output = "out"): AttemptFolders {
  const folders = makeAttemptFolders(dataDir, RUN, taskId, 1, options);
  writeFileSync(join(folders.outputs, output), "x\n");
  return folders;
}

describe("HandedOnFolders", () => {
  it("hands an ended attempt's emptied folders to a later attempt, renamed, and each only once", () => {
    const handedOn = new HandedOnFolders();
    const first = ended("a");
    const inode = statSync(first.root).ino;
    expect(handedOn.offer(RUN, hostOptions, first, ["out"])).toBe(true);
    // The recorded output is deleted: its content is in the store.
    expect(readdirSync(first.outputs)).toEqual([]);

    const next = handedOn.take(dataDir, RUN, "b", 1, hostOptions)!;
    const root = attemptRoot(dataDir, RUN, "b", 1);
    expect(next).toEqual({ root, inputs: empty, outputs: join(root, "outputs"), outbox: join(root, "outbox") });
    expect(statSync(root).ino).toBe(inode);
    expect(readdirSync(root).sort()).toEqual(["outbox", "outputs", "work"]);
    expect(existsSync(first.root)).toBe(false);
    expect(handedOn.take(dataDir, RUN, "c", 1, hostOptions)).toBeUndefined();
  });

  it("keeps the folders of an attempt that left something in its work folder", () => {
    const handedOn = new HandedOnFolders();
    const inWork = ended("a");
    writeFileSync(join(inWork.root, "work", "scratch.txt"), "");
    expect(handedOn.offer(RUN, hostOptions, inWork, ["out"])).toBe(false);
    expect(readdirSync(inWork.outputs)).toEqual(["out"]);
    expect(handedOn.take(dataDir, RUN, "d", 1, hostOptions)).toBeUndefined();
  });

  it("keeps folders a task replaced with a link or whose mode it changed, and an outbox that was moved to the results", () => {
    const handedOn = new HandedOnFolders();
    const linked = ended("a");
    rmSync(join(linked.root, "work"), { recursive: true });
    symlinkSync(dataDir, join(linked.root, "work"));
    const locked = ended("b");
    chmodSync(locked.outputs, 0o500);
    const moved = ended("c");
    rmSync(moved.outbox, { recursive: true });
    for (const folders of [linked, locked, moved]) expect(handedOn.offer(RUN, hostOptions, folders, ["out"])).toBe(false);
    chmodSync(locked.outputs, 0o700);
  });

  it("hands on only host attempts without inputs of their own, to attempts of the same shape and run", () => {
    const handedOn = new HandedOnFolders();
    const container: AttemptFolderOptions = { ...hostOptions, forContainer: true };
    const withInputs: AttemptFolderOptions = { forContainer: false, extra: ["work"] };
    expect(handedOn.offer(RUN, container, ended("a", container), ["out"])).toBe(false);
    expect(handedOn.offer(RUN, withInputs, ended("b", withInputs), ["out"])).toBe(false);
    expect(handedOn.offer(RUN, hostOptions, ended("c"), ["out"])).toBe(true);
    expect(handedOn.take(dataDir, RUN, "d", 1, { ...hostOptions, extra: [] })).toBeUndefined();
    expect(handedOn.take(dataDir, "another-run", "d", 1, hostOptions)).toBeUndefined();
    handedOn.forget(RUN);
    expect(handedOn.take(dataDir, RUN, "d", 1, hostOptions)).toBeUndefined();
  });

  it("keeps at most perShape folders waiting per run and shape", () => {
    const handedOn = new HandedOnFolders(2);
    const offered = ["a", "b", "c"].map((id) => handedOn.offer(RUN, hostOptions, ended(id), ["out"]));
    expect(offered).toEqual([true, true, false]);
  });

  it("gives none when the folders it kept are gone, so that new ones are made", () => {
    const handedOn = new HandedOnFolders();
    const first = ended("a");
    handedOn.offer(RUN, hostOptions, first, ["out"]);
    rmSync(first.root, { recursive: true });
    expect(handedOn.take(dataDir, RUN, "b", 1, hostOptions)).toBeUndefined();
  });
});
