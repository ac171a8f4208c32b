import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareSource } from "./build-source.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-build-source-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("an inline build context", () => {
  it("takes in the task's inbox by hard link, and writes over its files without touching the inbox's own", async () => {
    const inbox = join(dir, "inbox");
    await mkdir(join(inbox, "data"), { recursive: true });
    await writeFile(join(inbox, "data", "big.bin"), "uploaded bytes");
    await writeFile(join(inbox, "Dockerfile"), "FROM uploaded");
    await writeFile(join(inbox, "note.txt"), "from the upload");
    const source = await prepareSource({ kind: "inline", dockerfile: "FROM written", attachments: { "note.txt": Buffer.from("from the pipeline").toString("base64") }, inbox }, join(dir, "work"));

    expect(await readFile(join(source.contextDir, "Dockerfile"), "utf8")).toBe("FROM written");
    expect(await readFile(join(source.contextDir, "note.txt"), "utf8")).toBe("from the pipeline");
    expect(await readFile(join(source.contextDir, "data", "big.bin"), "utf8")).toBe("uploaded bytes");
    expect((await stat(join(source.contextDir, "data", "big.bin"))).ino).toBe((await stat(join(inbox, "data", "big.bin"))).ino);
    // The inbox is shared by the task's attempts: what the context replaced is still there.
    expect(await readFile(join(inbox, "Dockerfile"), "utf8")).toBe("FROM uploaded");
    expect(await readFile(join(inbox, "note.txt"), "utf8")).toBe("from the upload");
  });

  it("leaves the inbox out unless asked", async () => {
    const inbox = join(dir, "inbox");
    await mkdir(inbox, { recursive: true });
    await writeFile(join(inbox, "extra.txt"), "x");
    const source = await prepareSource({ kind: "inline", dockerfile: "FROM x", attachments: {} }, join(dir, "work"));
    await expect(stat(join(source.contextDir, "extra.txt"))).rejects.toThrow(/ENOENT/);
  });
});
