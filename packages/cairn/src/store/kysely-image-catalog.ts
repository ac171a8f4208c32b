import type { ExpressionBuilder, Kysely } from "kysely";
import { CairnError, NotFoundError } from "../errors.js";
import { IMAGE_ORIGIN_RANK, type BadMark, type ImageAccessFacts, type ImageCatalog, type ImageFilter, type ImageOrigin, type ImageRecipe, type ImageRecord, type ImageShare, type ImageUse, type NewImage, type Supersession } from "./image-catalog.js";
import type { Database, ImageSharesTable, ImagesTable } from "./schema.js";
import { toStorageError } from "./storage-error.js";

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DEFAULT_LIMIT = 500;

/** The ImageCatalog over the same Kysely instance as the run store. */
export class KyselyImageCatalog implements ImageCatalog {
  constructor(private readonly db: Kysely<Database>) {}

  recordImage(image: NewImage): Promise<void> {
    return this.guard("recording an image", () =>
      this.db.transaction().execute(async (trx) => {
        // Insert-or-ignore first: two writers recording the same image both get past it.
        await trx
          .insertInto("images")
          .values(imageToRow(image))
          .onConflict((oc) => oc.columns(["group_id", "digest"]).doNothing())
          .execute();
        const row = await trx.selectFrom("images").selectAll().where("group_id", "=", image.groupId).where("digest", "=", image.digest).executeTakeFirstOrThrow();
        const merged = mergeRow(row, imageToRow(image));
        if (merged) await trx.updateTable("images").set(merged).where("group_id", "=", image.groupId).where("digest", "=", image.digest).execute();
        if (image.names.length > 0) {
          await trx
            .insertInto("image_names")
            .values([...new Set(image.names)].map((name) => ({ group_id: image.groupId, name, digest: image.digest, recorded_at: image.recordedAt })))
            .onConflict((oc) => oc.columns(["group_id", "name", "digest"]).doNothing())
            .execute();
        }
      }),
    );
  }

  async getImage(groupId: string, digest: string): Promise<ImageRecord | undefined> {
    const [image] = await this.select(groupId, (q) => q.where("images.digest", "=", digest));
    return image;
  }

  async resolveImage(groupId: string, spec: string): Promise<ImageRecord | undefined> {
    if (DIGEST.test(spec)) {
      const own = await this.getImage(groupId, spec);
      if (own) return own;
      // A registry digest: recorded as the name `repository@sha256:…`.
      const [pushed] = await this.select(groupId, (q) =>
        q.where((eb) => eb.exists(eb.selectFrom("image_names").select("image_names.digest").whereRef("image_names.group_id", "=", "images.group_id").whereRef("image_names.digest", "=", "images.digest").where("image_names.name", "like", `%@${spec}`))),
      );
      return pushed;
    }
    const [newest] = await this.select(groupId, (q) => q.where(hasName(withTag(spec))), 1);
    return newest;
  }

  listImages(groupId: string, filter: ImageFilter = {}): Promise<ImageRecord[]> {
    return this.select(
      groupId,
      (q) => {
        let query = q;
        if (filter.name !== undefined) query = query.where(hasName(filter.name.includes("@") ? filter.name : withTag(filter.name)));
        if (filter.gitUrl !== undefined) query = query.where("images.git_url", "=", filter.gitUrl);
        if (filter.gitCommit !== undefined) query = filter.gitCommit.length >= 40 ? query.where("images.git_commit", "=", filter.gitCommit) : query.where("images.git_commit", "like", `${filter.gitCommit}%`);
        if (filter.badOnly) query = query.where("images.bad_reason", "is not", null);
        return query;
      },
      filter.limit ?? DEFAULT_LIMIT,
    );
  }

  markBad(groupId: string, digest: string, mark: BadMark): Promise<void> {
    return this.guard("marking an image bad", () =>
      this.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable("images")
          .set({ bad_reason: mark.reason, marked_bad_at: mark.at, marked_bad_by: mark.by })
          .where("group_id", "=", groupId)
          .where("digest", "=", digest)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("image", digest);
        // The group's task cache entries made with it go in the same transaction: no later
        // run reuses what a bad image made (docs/task-cache.md). Their objects, named by no
        // entry now, are deleted by the cache's next sweep.
        const entries = trx.selectFrom("cache_entries").select("key").where("group_id", "=", groupId).where("image_digest", "=", digest);
        await trx.deleteFrom("cache_entry_objects").where("entry_key", "in", entries).execute();
        await trx.deleteFrom("cache_entries").where("group_id", "=", groupId).where("image_digest", "=", digest).execute();
      }),
    );
  }

  async listUses(groupId: string, digest: string): Promise<ImageUse[]> {
    const rows = await this.guard("listing an image's uses", () =>
      this.db
        .selectFrom("task_executions")
        .innerJoin("runs", "runs.uuid", "task_executions.run_uuid")
        .select([
          "task_executions.run_uuid",
          "runs.pipeline_id",
          "runs.status as run_status",
          "task_executions.task_id",
          "task_executions.uuid",
          "task_executions.attempt",
          "task_executions.status",
          "task_executions.started_at",
        ])
        .where("runs.group_id", "=", groupId)
        .where("task_executions.image_digest", "=", digest)
        .orderBy("task_executions.created_at")
        .orderBy("task_executions.uuid")
        .execute(),
    );
    return rows.map((r) => ({
      runUuid: r.run_uuid,
      pipelineId: r.pipeline_id,
      taskId: r.task_id,
      executionUuid: r.uuid,
      attempt: r.attempt,
      status: r.status,
      runStatus: r.run_status,
      startedAt: r.started_at === null ? null : Number(r.started_at),
    }));
  }

  recordSupersession(s: Supersession): Promise<void> {
    return this.guard("recording a superseding run", async () => {
      await this.db
        .insertInto("run_supersessions")
        .values({ old_run_uuid: s.oldRunUuid, new_run_uuid: s.newRunUuid, image_digest: s.imageDigest, reason: s.reason, created_at: s.createdAt })
        .execute();
    });
  }

  async listSupersessions(runUuid: string): Promise<Supersession[]> {
    const rows = await this.guard("listing superseding runs", () =>
      this.db
        .selectFrom("run_supersessions")
        .selectAll()
        .where((eb) => eb.or([eb("old_run_uuid", "=", runUuid), eb("new_run_uuid", "=", runUuid)]))
        .orderBy("created_at")
        .orderBy("new_run_uuid")
        .execute(),
    );
    return rows.map((r) => ({ oldRunUuid: r.old_run_uuid, newRunUuid: r.new_run_uuid, imageDigest: r.image_digest, reason: r.reason, createdAt: Number(r.created_at) }));
  }

  async accessFacts(groupId: string, digest: string): Promise<ImageAccessFacts> {
    return this.guard("reading who may run an image", async () => {
      const records = await this.db.selectFrom("images").select(["group_id", "origin", "owned"]).where("digest", "=", digest).execute();
      const owners = records.filter((r) => Number(r.owned) === 1).map((r) => r.group_id);
      const shares =
        owners.length === 0
          ? []
          : await this.db.selectFrom("image_shares").select("group_id").where("shared_with", "=", groupId).where("digest", "=", digest).where("group_id", "in", owners).execute();
      return {
        madeHere: records.some((r) => r.group_id === groupId && r.origin !== "seen"),
        owners: owners.sort(),
        sharedBy: shares.map((s) => s.group_id).sort(),
      };
    });
  }

  shareImage(share: ImageShare): Promise<void> {
    return this.guard("sharing an image", async () => {
      const made = await this.db.selectFrom("images").select("origin").where("group_id", "=", share.groupId).where("digest", "=", share.digest).executeTakeFirst();
      // A group shares only what it made: a sighting may be another group's image.
      if (!made || made.origin === "seen") throw new CairnError("not_found", `group '${share.groupId}' did not build, pull or load image ${share.digest}, so it cannot share it`);
      await this.db
        .insertInto("image_shares")
        .values(shareToRow(share))
        .onConflict((oc) => oc.columns(["group_id", "digest", "shared_with"]).doUpdateSet({ shared_by: share.sharedBy, created_at: share.createdAt }))
        .execute();
    });
  }

  unshareImage(groupId: string, digest: string, sharedWith: string): Promise<boolean> {
    return this.guard("unsharing an image", async () => {
      const result = await this.db.deleteFrom("image_shares").where("group_id", "=", groupId).where("digest", "=", digest).where("shared_with", "=", sharedWith).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async listShares(groupId: string, digest: string): Promise<ImageShare[]> {
    const rows = await this.guard("listing an image's shares", () =>
      this.db.selectFrom("image_shares").selectAll().where("group_id", "=", groupId).where("digest", "=", digest).orderBy("created_at").orderBy("shared_with").execute(),
    );
    return rows.map(shareFromRow);
  }

  async listSharedWith(groupId: string): Promise<ImageShare[]> {
    const rows = await this.guard("listing images shared with a group", () =>
      this.db.selectFrom("image_shares").selectAll().where("shared_with", "=", groupId).orderBy("created_at", "desc").orderBy("group_id").orderBy("digest").execute(),
    );
    return rows.map(shareFromRow);
  }

  /** Images of the group with their names, newest first; `where` narrows the images. */
  private async select(
    groupId: string,
    where: (q: ReturnType<KyselyImageCatalog["baseQuery"]>) => ReturnType<KyselyImageCatalog["baseQuery"]>,
    limit = DEFAULT_LIMIT,
  ): Promise<ImageRecord[]> {
    return this.guard("reading images", async () => {
      const rows = await where(this.baseQuery(groupId)).orderBy("images.created_at", "desc").orderBy("images.digest").limit(limit).execute();
      if (rows.length === 0) return [];
      const names = await this.db
        .selectFrom("image_names")
        .select(["digest", "name"])
        .where("group_id", "=", groupId)
        .where(
          "digest",
          "in",
          rows.map((r) => r.digest),
        )
        .orderBy("recorded_at")
        .orderBy("name")
        .execute();
      const byDigest = new Map<string, string[]>();
      for (const n of names) byDigest.set(n.digest, [...(byDigest.get(n.digest) ?? []), n.name]);
      return rows.map((row) => imageFromRow(row, byDigest.get(row.digest) ?? []));
    });
  }

  private baseQuery(groupId: string) {
    return this.db.selectFrom("images").selectAll("images").where("images.group_id", "=", groupId);
  }

  private async guard<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw toStorageError(err, action);
    }
  }
}

/** `repo` means `repo:latest`, as engines read it; a name with a tag or digest is kept. */
function withTag(name: string): string {
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? name : `${name}:latest`;
}

function hasName(name: string) {
  return (eb: ExpressionBuilder<Database, "images">) =>
    eb.exists(
      eb
        .selectFrom("image_names")
        .select("image_names.digest")
        .whereRef("image_names.group_id", "=", "images.group_id")
        .whereRef("image_names.digest", "=", "images.digest")
        .where("image_names.name", "=", name),
    );
}

function imageToRow(image: NewImage): ImagesTable {
  return {
    group_id: image.groupId,
    digest: image.digest,
    origin: image.origin,
    created_at: image.createdAt,
    recorded_at: image.recordedAt,
    architecture: image.architecture,
    os: image.os,
    size_bytes: image.sizeBytes,
    builder: image.builder,
    engine: image.engine,
    recipe: image.recipe ? JSON.stringify(image.recipe) : null,
    git_url: image.recipe?.gitUrl ?? null,
    git_commit: image.recipe?.commit ?? null,
    run_uuid: image.runUuid,
    task_id: image.taskId,
    bad_reason: null,
    marked_bad_at: null,
    marked_bad_by: null,
    owned: image.owned ? 1 : 0,
  };
}

function shareToRow(share: ImageShare): ImageSharesTable {
  return { group_id: share.groupId, digest: share.digest, shared_with: share.sharedWith, shared_by: share.sharedBy, created_at: share.createdAt };
}

function shareFromRow(row: ImageSharesTable): ImageShare {
  return { groupId: row.group_id, digest: row.digest, sharedWith: row.shared_with, sharedBy: row.shared_by, createdAt: Number(row.created_at) };
}

/** What to change in a stored row to add what `incoming` knows; undefined when nothing. */
function mergeRow(stored: ImagesTable, incoming: ImagesTable): Partial<ImagesTable> | undefined {
  const patch: Partial<ImagesTable> = {};
  const stronger = IMAGE_ORIGIN_RANK[incoming.origin as ImageOrigin] > IMAGE_ORIGIN_RANK[stored.origin as ImageOrigin];
  if (stronger) {
    // The origin and its provenance travel together: a build's recipe replaces a sighting.
    Object.assign(patch, {
      origin: incoming.origin,
      builder: incoming.builder,
      engine: incoming.engine,
      recipe: incoming.recipe,
      git_url: incoming.git_url,
      git_commit: incoming.git_commit,
      run_uuid: incoming.run_uuid,
      task_id: incoming.task_id,
    });
  }
  // Ownership, once claimed, stays: a later sighting or public pull of the same image gives nothing away.
  if (incoming.owned === 1 && Number(stored.owned) !== 1) patch.owned = 1;
  for (const key of ["architecture", "os", "size_bytes", "engine"] as const) {
    if (stored[key] === null && incoming[key] !== null && patch[key] === undefined) (patch as Record<string, unknown>)[key] = incoming[key];
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function imageFromRow(row: ImagesTable, names: string[]): ImageRecord {
  return {
    groupId: row.group_id,
    digest: row.digest,
    names,
    origin: row.origin as ImageOrigin,
    createdAt: Number(row.created_at),
    recordedAt: Number(row.recorded_at),
    architecture: row.architecture,
    os: row.os,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    builder: row.builder,
    engine: row.engine,
    recipe: row.recipe === null ? null : (JSON.parse(row.recipe) as ImageRecipe),
    runUuid: row.run_uuid,
    taskId: row.task_id,
    bad: row.bad_reason === null ? null : { reason: row.bad_reason, at: Number(row.marked_bad_at), by: row.marked_bad_by ?? "" },
    owned: Number(row.owned) === 1,
  };
}
