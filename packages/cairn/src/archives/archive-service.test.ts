import { describe, expect, it } from "vitest";
import { CairnError, NotFoundError } from "../errors.js";
import type { ArchiveRecord, IdentityRecord, ServiceStore, SystemRecord } from "../store/service-store.js";
import { createArchive, deleteArchive } from "./archive-service.js";
import { deleteUnusedSystem } from "./system-service.js";

const keys: IdentityRecord = { uuid: "id-1", owner: "ann", type: "s3", name: "archive g/a", description: null, host: null, sealedCredentials: "sealed", createdAt: 1 };
const location = { endpoint: "http://s3.test", bucket: "b", region: "r", rootDir: "", identityUuid: "id-1" };
const ownBucket: ArchiveRecord = { uuid: "u", groupId: "g", id: "a", owner: "ann", settings: { type: "S3", systemId: null, archiveDir: "x", location, keysKeptForIt: true }, createdAt: 1 };
const onSystem: ArchiveRecord = { uuid: "u2", groupId: "g", id: "b", owner: "ann", settings: { type: "system", systemId: "sys", archiveDir: "x" }, createdAt: 1 };
const system: SystemRecord = { uuid: "s", groupId: "g", id: "sys", owner: "ann", description: null, settings: { type: "local", rootDir: "/" }, createdAt: 1 };

/** An in-memory store of identities, archives and systems; `failDeleteIdentity` makes removing keys fail. */
function fakeStore(options: { failDeleteIdentity?: boolean } = {}) {
  const identities = new Map<string, IdentityRecord>();
  const archives = new Map<string, ArchiveRecord>();
  const systems = new Map<string, SystemRecord>([[system.id, system]]);
  const store: Pick<ServiceStore, "createIdentity" | "deleteIdentity" | "createArchive" | "getArchive" | "deleteArchive" | "getSystem" | "listArchives" | "deleteSystem"> = {
    createIdentity: async (i) => void identities.set(i.uuid, i),
    deleteIdentity: async (uuid) => {
      if (options.failDeleteIdentity) throw new Error("database is locked");
      if (!identities.delete(uuid)) throw new NotFoundError("identity", uuid);
    },
    createArchive: async (a) => {
      if (archives.has(a.id)) throw new CairnError("conflict", "taken");
      archives.set(a.id, a);
    },
    getArchive: async (_g, id) => archives.get(id),
    deleteArchive: async (_g, id) => {
      if (!archives.delete(id)) throw new NotFoundError("archive", id);
    },
    getSystem: async (_g, id) => systems.get(id),
    listArchives: async () => [...archives.values()],
    deleteSystem: async (_g, id) => void systems.delete(id),
  };
  return { store, identities, archives, systems };
}

describe("createArchive", () => {
  it("stores the keys before the write check and the archive after it", async () => {
    const { store, identities, archives } = fakeStore();
    let keysAtCheck = false;
    await createArchive(store, ownBucket, keys, async () => void (keysAtCheck = identities.has("id-1")), () => {});
    expect(keysAtCheck).toBe(true);
    expect([...archives.keys()]).toEqual(["a"]);
  });

  it("removes the keys again when the check fails, answering the check's error", async () => {
    const { store, identities, archives } = fakeStore();
    const refused = new Error("cannot write");
    await expect(createArchive(store, ownBucket, keys, () => Promise.reject(refused), () => {})).rejects.toBe(refused);
    expect(identities.size).toBe(0);
    expect(archives.size).toBe(0);
  });

  it("reports keys it could not remove instead of dropping the failure", async () => {
    const { store } = fakeStore({ failDeleteIdentity: true });
    const warnings: string[] = [];
    const refused = new Error("cannot write");
    await expect(createArchive(store, ownBucket, keys, () => Promise.reject(refused), (message) => warnings.push(message))).rejects.toBe(refused);
    expect(warnings).toEqual(["the keys given with archive 'a' (identity id-1) could not be removed"]);
  });
});

describe("deleteArchive", () => {
  it("deletes the keys kept for an archive with it, and reports keys it could not remove", async () => {
    const { store, identities, archives } = fakeStore();
    await createArchive(store, ownBucket, keys, async () => {}, () => {});
    await deleteArchive(store, "g", "a", () => {});
    expect(archives.size).toBe(0);
    expect(identities.size).toBe(0);

    const failing = fakeStore({ failDeleteIdentity: true });
    await createArchive(failing.store, ownBucket, keys, async () => {}, () => {});
    const warnings: string[] = [];
    await deleteArchive(failing.store, "g", "a", (message) => warnings.push(message));
    expect(failing.archives.size).toBe(0);
    expect(warnings).toEqual(["the keys given with archive 'a' (identity id-1) could not be removed"]);
  });

  it("answers not_found for an archive that is not there", async () => {
    const { store } = fakeStore();
    await expect(deleteArchive(store, "g", "nope", () => {})).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("deleteUnusedSystem", () => {
  it("refuses a system an archive uses, naming it, and deletes one none uses", async () => {
    const { store, systems } = fakeStore();
    await createArchive(store, onSystem, undefined, async () => {}, () => {});
    await expect(deleteUnusedSystem(store, "g", "sys")).rejects.toMatchObject({ code: "conflict", message: "system 'sys' is used by archive 'b'; delete those first" });
    await deleteArchive(store, "g", "b", () => {});
    await deleteUnusedSystem(store, "g", "sys");
    expect(systems.size).toBe(0);
    await expect(deleteUnusedSystem(store, "g", "sys")).rejects.toMatchObject({ code: "not_found" });
  });
});
