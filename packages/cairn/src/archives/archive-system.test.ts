import { describe, expect, it } from "vitest";
import type { ArchiveSettings, SystemRecord } from "../store/service-store.js";
import { archiveSystem } from "./archive-system.js";

describe("archiveSystem", () => {
  const systems: SystemRecord[] = [
    { uuid: "u1", groupId: "lab", id: "disk", owner: "ada", description: null, settings: { type: "local", rootDir: "lab" }, createdAt: 1 },
    { uuid: "u2", groupId: "lab", id: "bucket", owner: "ada", description: null, settings: { type: "s3", endpoint: "http://s3", bucket: "b", region: "us-east-1", rootDir: "p", identityUuid: "i" }, createdAt: 1 },
  ];
  const service = { getSystem: async (groupId: string, id: string) => systems.find((s) => s.groupId === groupId && s.id === id) };
  const archive = (settings: ArchiveSettings) => ({ groupId: "lab", id: "keep", uuid: "a1", owner: "ada", createdAt: 5, settings });

  it("gives the system an archive names, for S3 archives an s3 one, for system archives any", async () => {
    expect(await archiveSystem(service, archive({ type: "S3", systemId: "bucket", archiveDir: "x" }))).toEqual({ system: systems[1], label: "system 'bucket'" });
    expect((await archiveSystem(service, archive({ type: "system", systemId: "bucket", archiveDir: "x" }))).system).toBe(systems[1]);
    expect((await archiveSystem(service, archive({ type: "system", systemId: "disk", archiveDir: "x" }))).system).toBe(systems[0]);
    await expect(archiveSystem(service, archive({ type: "S3", systemId: "disk", archiveDir: "x" }))).rejects.toMatchObject({
      retryable: false,
      message: "archive 'keep' of type 'S3' needs an s3 system; system 'disk' is of type 'local'",
    });
    await expect(archiveSystem(service, archive({ type: "system", systemId: "gone", archiveDir: "x" }))).rejects.toMatchObject({ code: "not_found", retryable: false });
  });

  it("makes a self-contained S3 archive's bucket a system of the archive's id, never looked up", async () => {
    const location = { endpoint: "http://s3", bucket: "own", region: "eu-west-1", rootDir: "", identityUuid: "i2" };
    const { system, label } = await archiveSystem({ getSystem: async () => expect.unreachable() }, archive({ type: "S3", systemId: null, archiveDir: "runs", location }));
    expect(label).toBe("archive 'keep'");
    expect(system).toEqual({ uuid: "a1", groupId: "lab", id: "keep", owner: "ada", description: null, settings: { type: "s3", ...location }, createdAt: 5 });
  });
});
