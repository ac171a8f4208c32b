import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listTaskFiles, MAX_FOLDER_DEPTH, openTaskFile, TaskFolder, type TaskFileRefused } from "./task-file-reader.js";

/**
 * The safe reader against what a hostile task can leave: links to files and folders
 * (absolute and relative targets), a folder on the path replaced by a link, '..', a named
 * pipe, a file over the limit. `base` plays the attempt's folder; `secret/` is the
 * server's, outside it.
 */

const SECRET = "server-secret-key-material";

let dir: string;
let base: string;
let secretDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-task-files-"));
  base = join(dir, "attempt");
  secretDir = join(dir, "secret");
  mkdirSync(join(base, "outputs"), { recursive: true });
  mkdirSync(secretDir);
  writeFileSync(join(secretDir, "secret.key"), SECRET);
  writeFileSync(join(base, "outputs", "plain"), "hello");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const refusal = (path: string, problem: TaskFileRefused["problem"]) => expect.objectContaining({ name: "TaskFileRefused", path, problem });

function readOutput(name: string, max = 1024) {
  const folder = TaskFolder.openSync(base, "outputs")!;
  try {
    return folder.readFileSync(name, max);
  } finally {
    folder.closeSync();
  }
}

describe("TaskFolder (synchronous: the engine's outputs)", () => {
  it("reads a regular file and lists entries as they are", () => {
    symlinkSync(join(secretDir, "secret.key"), join(base, "outputs", "x"));
    expect(readOutput("plain")).toEqual({ content: Buffer.from("hello") });
    const folder = TaskFolder.openSync(base, "outputs")!;
    const entries = folder.entriesSync().map((e) => [e.name, e.isSymbolicLink()]);
    folder.closeSync();
    expect(entries.sort()).toEqual([
      ["plain", false],
      ["x", true],
    ]);
  });

  it("refuses a link to a file, with an absolute or a relative target", () => {
    symlinkSync(join(secretDir, "secret.key"), join(base, "outputs", "absolute"));
    symlinkSync("../../secret/secret.key", join(base, "outputs", "relative"));
    symlinkSync("plain", join(base, "outputs", "beside"));
    for (const name of ["absolute", "relative", "beside"]) expect(() => readOutput(name)).toThrow(refusal(`outputs/${name}`, "link"));
  });

  it("refuses a link to a folder, and a file that is a folder", () => {
    symlinkSync(secretDir, join(base, "outputs", "folder-link"));
    mkdirSync(join(base, "outputs", "sub"));
    expect(() => readOutput("folder-link")).toThrow(refusal("outputs/folder-link", "link"));
    expect(() => readOutput("sub")).toThrow(expect.objectContaining({ problem: "not_regular", kind: "folder" }));
  });

  it("refuses a folder on the path that is a link, absolute or relative", () => {
    rmSync(join(base, "outputs"), { recursive: true });
    symlinkSync(secretDir, join(base, "outputs"));
    expect(() => TaskFolder.openSync(base, "outputs")).toThrow(refusal("outputs", "link"));
    rmSync(join(base, "outputs"));
    symlinkSync("../secret", join(base, "outputs"));
    expect(() => TaskFolder.openSync(base, "outputs")).toThrow(refusal("outputs", "link"));
    mkdirSync(join(base, "deep"));
    symlinkSync("/", join(base, "deep", "root"));
    expect(() => TaskFolder.openSync(base, "deep/root/etc")).toThrow(refusal("deep/root", "link"));
  });

  it("follows the server's own base folder, which may be a link an operator made", () => {
    symlinkSync(base, join(dir, "base-link"));
    const folder = TaskFolder.openSync(join(dir, "base-link"), "outputs")!;
    expect(folder.readFileSync("plain", 10)).toEqual({ content: Buffer.from("hello") });
    folder.closeSync();
  });

  it("refuses '..', '.', empty and nested names", () => {
    for (const path of ["..", "outputs/..", "./outputs", "outputs//plain", "../secret"]) expect(() => TaskFolder.openSync(base, path)).toThrow(refusal(path, "outside"));
    expect(() => readOutput("../../secret/secret.key")).toThrow(expect.objectContaining({ problem: "outside" }));
    expect(() => readOutput("..")).toThrow(expect.objectContaining({ problem: "outside" }));
  });

  it("refuses a named pipe at once, without waiting for a writer", () => {
    execFileSync("mkfifo", [join(base, "outputs", "pipe")]);
    expect(() => readOutput("pipe")).toThrow(expect.objectContaining({ problem: "not_regular", kind: "named pipe" }));
  });

  it("reads no file over the limit, and says its size", () => {
    writeFileSync(join(base, "outputs", "big"), Buffer.alloc(2048, "b"));
    expect(readOutput("big", 2047)).toEqual({ tooLarge: 2048 });
    expect(readOutput("big", 2048)).toEqual({ content: Buffer.alloc(2048, "b") });
  });

  it("is undefined for a folder that is not there", () => {
    expect(TaskFolder.openSync(base, "missing")).toBeUndefined();
    expect(TaskFolder.openSync(join(dir, "nothing"), "outputs")).toBeUndefined();
  });
});

describe("listTaskFiles and openTaskFile (the results zip and archives)", () => {
  beforeEach(() => {
    const outbox = join(base, "outbox");
    mkdirSync(join(outbox, "sub", "deeper"), { recursive: true });
    writeFileSync(join(outbox, "r.txt"), "result");
    writeFileSync(join(outbox, "sub", "deeper", "n.txt"), "nested");
    symlinkSync(join(secretDir, "secret.key"), join(outbox, "abs-file-link"));
    symlinkSync("../../secret/secret.key", join(outbox, "rel-file-link"));
    symlinkSync(secretDir, join(outbox, "abs-folder-link"));
    symlinkSync("../../secret", join(outbox, "sub", "rel-folder-link"));
    execFileSync("mkfifo", [join(outbox, "pipe")]);
  });

  it("lists regular files only, in name order, no link followed", async () => {
    const files = await listTaskFiles(base, "outbox");
    expect(files.map((f) => f.path)).toEqual(["r.txt", "sub/deeper/n.txt"]);
    expect(files[0]).toMatchObject({ size: 6 });
  });

  it("lists nothing under a folder that is a link, the listed folder itself included", async () => {
    rmSync(join(base, "outbox"), { recursive: true });
    symlinkSync(secretDir, join(base, "outbox"));
    expect(await listTaskFiles(base, "outbox")).toEqual([]);
    rmSync(join(base, "outbox"));
    symlinkSync("/", join(base, "outbox"));
    expect(await listTaskFiles(base, "outbox")).toEqual([]);
  });

  it("stops at the depth asked, and at MAX_FOLDER_DEPTH", async () => {
    expect((await listTaskFiles(base, "outbox", { depth: 0 })).map((f) => f.path)).toEqual(["r.txt"]);
    let deep = join(base, "nest");
    for (let i = 0; i <= MAX_FOLDER_DEPTH + 1; i++) deep = join(deep, "d");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, "too-deep.txt"), "x");
    writeFileSync(join(base, "nest", "d", "shallow.txt"), "x");
    expect((await listTaskFiles(base, "nest")).map((f) => f.path)).toEqual(["d/shallow.txt"]);
  });

  it("opens a regular file, and no more bytes than it had when listed", async () => {
    expect(await text(await openTaskFile(base, "outbox/sub/deeper/n.txt", 6))).toBe("nested");
    expect(await text(await openTaskFile(base, "outbox/r.txt", 3))).toBe("res");
    expect(await text(await openTaskFile(base, "outbox/r.txt", 0))).toBe("");
  });

  it("refuses to open a link, a link on the path, a pipe, or '..'", async () => {
    await expect(openTaskFile(base, "outbox/abs-file-link", 100)).rejects.toMatchObject({ problem: "link", path: "outbox/abs-file-link" });
    await expect(openTaskFile(base, "outbox/rel-file-link", 100)).rejects.toMatchObject({ problem: "link" });
    await expect(openTaskFile(base, "outbox/abs-folder-link/secret.key", 100)).rejects.toMatchObject({ problem: "link", path: "outbox/abs-folder-link" });
    await expect(openTaskFile(base, "outbox/sub/rel-folder-link/secret.key", 100)).rejects.toMatchObject({ problem: "link", path: "outbox/sub/rel-folder-link" });
    await expect(openTaskFile(base, "outbox/pipe", 100)).rejects.toMatchObject({ problem: "not_regular", kind: "named pipe" });
    await expect(openTaskFile(base, "outbox/../../secret/secret.key", 100)).rejects.toMatchObject({ problem: "outside" });
    // A file that was listed and then swapped for a link is refused when it is opened.
    rmSync(join(base, "outbox", "r.txt"));
    symlinkSync(join(secretDir, "secret.key"), join(base, "outbox", "r.txt"));
    await expect(openTaskFile(base, "outbox/r.txt", 6)).rejects.toMatchObject({ problem: "link" });
  });
});
