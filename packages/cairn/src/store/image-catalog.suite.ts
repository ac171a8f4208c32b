import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newRunId } from "../ids.js";
import type { NewImage } from "./image-catalog.js";
import type { Store } from "./store.js";
import { makeExecution, makeRun as makeAnyRun } from "./store.suite.js";

/** The ImageCatalog's behaviour, run once per database like describeStoreSuite. */
export function describeImageCatalogSuite(name: string, makeStore: () => Promise<Store>): void {
  describe(`ImageCatalog on ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it("keeps an image with its names and recipe, and adds what a later record knows", async () => {
      const built = image("a", { origin: "built", names: ["reg:5000/lab/tool:v1"], recipe: { source: "git", gitUrl: "http://git/lab/tool.git", commit: "c".repeat(40), dockerfile: "Dockerfile", dockerfileSha256: digest("f"), buildArgs: { X: "1" } } });
      await store.images.recordImage(built);
      expect(await store.images.getImage("lab", built.digest)).toEqual({ ...built, bad: null, owned: false });
      // A push adds a registry digest; a later sighting by a run adds a name and changes nothing else.
      await store.images.recordImage({ ...built, names: ["reg:5000/lab/tool@" + digest("m")] });
      await store.images.recordImage(image("a", { origin: "seen", names: ["reg:5000/lab/tool:latest"], recipe: null, builder: null }));
      const stored = await store.images.getImage("lab", built.digest);
      expect(stored).toMatchObject({ origin: "built", recipe: built.recipe, builder: "podman" });
      expect(stored!.names).toEqual(expect.arrayContaining(["reg:5000/lab/tool:v1", `reg:5000/lab/tool@${digest("m")}`, "reg:5000/lab/tool:latest"]));
      expect(stored!.names).toHaveLength(3);
      expect(await store.images.getImage("other-group", built.digest)).toBeUndefined();
    });

    it("lets a build's provenance replace a sighting of the same image", async () => {
      await store.images.recordImage(image("b", { origin: "seen", recipe: null, builder: null, engine: null, runUuid: null, taskId: null }));
      await store.images.recordImage(image("b", { origin: "built" }));
      expect(await store.images.getImage("lab", digest("b"))).toMatchObject({ origin: "built", builder: "podman", engine: "Podman Engine 4.3.1", runUuid: expect.any(String) });
    });

    it("resolves repo:tag to the newest image by created time, and a digest to its image, also a registry digest", async () => {
      await store.images.recordImage(image("old", { createdAt: 1_000, names: ["lab/tool:v1", "lab/tool:latest"] }));
      await store.images.recordImage(image("new", { createdAt: 2_000, names: ["lab/tool:v1", "lab/tool@" + digest("pushed")] }));
      expect((await store.images.resolveImage("lab", "lab/tool:v1"))?.digest).toBe(digest("new"));
      expect((await store.images.resolveImage("lab", "lab/tool"))?.digest).toBe(digest("old"));
      expect((await store.images.resolveImage("lab", digest("old")))?.digest).toBe(digest("old"));
      expect((await store.images.resolveImage("lab", digest("pushed")))?.digest).toBe(digest("new"));
      expect(await store.images.resolveImage("lab", "lab/none:v1")).toBeUndefined();
      expect(await store.images.resolveImage("other", "lab/tool:v1")).toBeUndefined();
    });

    it("lists images by name, repository commit (also a short sha) and badness, newest first", async () => {
      const commit = "1234567" + "0".repeat(33);
      await store.images.recordImage(image("x", { createdAt: 1, recipe: { source: "git", gitUrl: "http://git/a.git", commit } }));
      await store.images.recordImage(image("y", { createdAt: 2, recipe: { source: "git", gitUrl: "http://git/a.git", commit } }));
      await store.images.recordImage(image("z", { createdAt: 3, recipe: { source: "inline" }, names: ["only/z:1"] }));
      expect((await store.images.listImages("lab")).map((i) => i.digest)).toEqual([digest("z"), digest("y"), digest("x")]);
      expect((await store.images.listImages("lab", { gitCommit: commit })).map((i) => i.digest)).toEqual([digest("y"), digest("x")]);
      expect((await store.images.listImages("lab", { gitCommit: "1234567" })).map((i) => i.digest)).toEqual([digest("y"), digest("x")]);
      expect((await store.images.listImages("lab", { gitUrl: "http://git/a.git", limit: 1 })).map((i) => i.digest)).toEqual([digest("y")]);
      expect((await store.images.listImages("lab", { name: "only/z:1" })).map((i) => i.digest)).toEqual([digest("z")]);
      await store.images.markBad("lab", digest("x"), { reason: "CVE-2026-1", at: 5, by: "ada" });
      expect(await store.images.listImages("lab", { badOnly: true })).toEqual([expect.objectContaining({ digest: digest("x"), bad: { reason: "CVE-2026-1", at: 5, by: "ada" } })]);
      await expect(store.images.markBad("lab", digest("nope"), { reason: "r", at: 1, by: "ada" })).rejects.toMatchObject({ code: "not_found" });
    });

    it("finds the executions of the group's runs that used an image", async () => {
      const run = makeAnyRun({ groupId: "lab", status: "running" });
      const elsewhere = makeAnyRun({ groupId: "other", status: "running" });
      const used = makeExecution(run.uuid, { taskId: "step", imageDigest: digest("u"), status: "succeeded", startedAt: 10 });
      const unrelated = makeExecution(run.uuid, { taskId: "other", imageDigest: digest("v") });
      await store.commit({ newRuns: [run, elsewhere], newExecutions: [used, unrelated, makeExecution(elsewhere.uuid, { imageDigest: digest("u") })] });
      const retry = makeExecution(run.uuid, { taskId: "step", attempt: 2, createdAt: 1_700_000_000_009 });
      await store.commit({ newExecutions: [retry], executionUpdates: [{ uuid: retry.uuid, patch: { imageDigest: digest("u"), status: "running" } }] });
      expect(await store.images.listUses("lab", digest("u"))).toEqual([
        { runUuid: run.uuid, pipelineId: "pipeline", taskId: "step", executionUuid: used.uuid, attempt: 1, status: "succeeded", runStatus: "running", startedAt: 10 },
        { runUuid: run.uuid, pipelineId: "pipeline", taskId: "step", executionUuid: retry.uuid, attempt: 2, status: "running", runStatus: "running", startedAt: null },
      ]);
      expect(await store.images.listUses("lab", digest("none"))).toEqual([]);
    });

    it("records which run supersedes which, seen from either side", async () => {
      const [old, replacement] = [makeAnyRun({ groupId: "lab", status: "running" }), makeAnyRun({ groupId: "lab", status: "running" })];
      await store.commit({ newRuns: [old, replacement] });
      const s = { oldRunUuid: old.uuid, newRunUuid: replacement.uuid, imageDigest: digest("bad"), reason: "CVE", createdAt: 7 };
      await store.images.recordSupersession(s);
      expect(await store.images.listSupersessions(old.uuid)).toEqual([s]);
      expect(await store.images.listSupersessions(replacement.uuid)).toEqual([s]);
      await expect(store.images.recordSupersession({ ...s, newRunUuid: newRunId() })).rejects.toMatchObject({ code: "not_found" });
    });

    it("keeps an image's ownership once claimed, and tells who owns an image and who made it", async () => {
      await store.images.recordImage(image("own", { owned: true }));
      await store.images.recordImage(image("own", { origin: "seen", recipe: null }));
      expect(await store.images.getImage("lab", digest("own"))).toMatchObject({ owned: true, origin: "built" });
      await store.images.recordImage(image("own", { groupId: "other", origin: "seen", recipe: null, builder: null }));
      await store.images.recordImage(image("free", { origin: "pulled" }));
      expect(await store.images.accessFacts("lab", digest("own"))).toEqual({ madeHere: true, owners: ["lab"], sharedBy: [] });
      expect(await store.images.accessFacts("other", digest("own"))).toEqual({ madeHere: false, owners: ["lab"], sharedBy: [] });
      expect(await store.images.accessFacts("other", digest("free"))).toEqual({ madeHere: false, owners: [], sharedBy: [] });
      expect(await store.images.accessFacts("other", digest("unknown"))).toEqual({ madeHere: false, owners: [], sharedBy: [] });
    });

    it("shares a group's image with another group and takes the share back; only what the group made can be shared", async () => {
      for (const id of ["lab", "other", "third"]) await store.service.createGroup({ id, uuid: randomUUID(), owner: "ada", createdAt: 1 }, []);
      await store.images.recordImage(image("own", { owned: true }));
      await store.images.recordImage(image("seen", { origin: "seen", recipe: null }));
      const share = { groupId: "lab", digest: digest("own"), sharedWith: "other", sharedBy: "ada", createdAt: 5 };
      await store.images.shareImage(share);
      await store.images.shareImage({ ...share, sharedBy: "bob", createdAt: 6 });
      expect(await store.images.listShares("lab", digest("own"))).toEqual([{ ...share, sharedBy: "bob", createdAt: 6 }]);
      expect(await store.images.listSharedWith("other")).toEqual([{ ...share, sharedBy: "bob", createdAt: 6 }]);
      expect(await store.images.accessFacts("other", digest("own"))).toEqual({ madeHere: false, owners: ["lab"], sharedBy: ["lab"] });
      expect(await store.images.accessFacts("third", digest("own"))).toEqual({ madeHere: false, owners: ["lab"], sharedBy: [] });
      await expect(store.images.shareImage({ ...share, digest: digest("seen") })).rejects.toMatchObject({ code: "not_found", message: expect.stringContaining("did not build, pull or load") });
      await expect(store.images.shareImage({ ...share, groupId: "other" })).rejects.toMatchObject({ code: "not_found" });
      await expect(store.images.shareImage({ ...share, sharedWith: "no-such-group" })).rejects.toMatchObject({ code: "not_found" });
      expect(await store.images.unshareImage("lab", digest("own"), "other")).toBe(true);
      expect(await store.images.unshareImage("lab", digest("own"), "other")).toBe(false);
      expect(await store.images.accessFacts("other", digest("own"))).toMatchObject({ sharedBy: [] });
    });
  });
}

function digest(seed: string): string {
  return `sha256:${Buffer.from(seed).toString("hex").padEnd(64, "0").slice(0, 64)}`;
}

function image(seed: string, overrides: Partial<NewImage> = {}): NewImage {
  return {
    groupId: "lab",
    digest: digest(seed),
    names: [`lab/${seed}:v1`],
    origin: "built",
    createdAt: 1_700_000_000_000,
    recordedAt: 1_700_000_000_500,
    architecture: "amd64",
    os: "linux",
    sizeBytes: 5_000_000_123,
    builder: "podman",
    engine: "Podman Engine 4.3.1",
    recipe: { source: "inline", dockerfile: "Dockerfile", dockerfileSha256: digest("d") },
    runUuid: newRunId(),
    taskId: "build",
    ...overrides,
  };
}
