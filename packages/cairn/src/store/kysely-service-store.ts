import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import type { AccessQueries } from "./access-queries.js";
import type {
  ArchivesTable,
  Database,
  GroupMembersTable,
  GroupSecretsTable,
  GroupsTable,
  IdentitiesTable,
  PipelinesTable,
  RunArchivesTable,
  SystemsTable,
  UsersTable,
} from "./schema.js";
import type {
  ArchiveRecord,
  ArchiveSettings,
  GroupAccessRecord,
  GroupRecord,
  IdentityRecord,
  MemberRecord,
  MemberRole,
  PipelineRecord,
  RunArchiveRecord,
  RunArchiveStatus,
  SecretRecord,
  ServiceStore,
  SystemRecord,
  SystemSettings,
  TokenRef,
  TokenStanding,
  UserRecord,
} from "./service-store.js";
import { toStorageError } from "./storage-error.js";

/** ServiceStore over the same Kysely instance as the run store. */
export class KyselyServiceStore implements ServiceStore {
  readonly #access: AccessQueries;

  /** `access`: the prepared queries authentication and group checks run on every request. */
  constructor(
    private readonly db: Kysely<Database>,
    access: AccessQueries,
  ) {
    this.#access = access;
  }

  createUser(user: UserRecord): Promise<void> {
    return this.write("creating a user", async () => {
      await this.db.insertInto("users").values(userToRow(user)).execute();
    });
  }

  async getUser(login: string): Promise<UserRecord | undefined> {
    const rows = await this.read("reading a user", () =>
      this.db
        .selectFrom("users")
        .selectAll()
        .where((eb) => eb.or([eb("login", "=", login), eb("login_key", "=", login.toLowerCase())]))
        .execute(),
    );
    // Two rows only for a younger twin from before migration 0010, named by its exact login.
    const row = rows.find((r) => r.login === login) ?? rows[0];
    return row && userFromRow(row);
  }

  confirmUser(login: string): Promise<void> {
    return this.write("confirming a user", async () => {
      const result = await this.db.updateTable("users").set({ confirmed: 1, confirmation_code: null }).where("login", "=", login).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("user", login);
    });
  }

  async countUsers(): Promise<number> {
    const row = await this.read("counting users", () =>
      this.db.selectFrom("users").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow(),
    );
    return Number(row.n);
  }

  createGroup(group: GroupRecord, members: MemberRecord[]): Promise<void> {
    return this.write("creating a group", () =>
      this.db.transaction().execute(async (trx) => {
        await trx.insertInto("groups").values(groupToRow(group)).execute();
        if (members.length > 0) await trx.insertInto("group_members").values(members.map(memberToRow)).execute();
      }),
    );
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    const row = await this.read("reading a group", () => this.db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst());
    return row && groupFromRow(row);
  }

  async listGroupsOf(username: string): Promise<GroupRecord[]> {
    const rows = await this.read("listing groups", () =>
      this.db
        .selectFrom("groups")
        .innerJoin("group_members", "group_members.group_id", "groups.id")
        .selectAll("groups")
        .where("group_members.username", "=", username)
        .orderBy("groups.id")
        .execute(),
    );
    return rows.map(groupFromRow);
  }

  deleteGroup(id: string): Promise<void> {
    return this.write("deleting a group", () =>
      this.db.transaction().execute(async (trx) => {
        // Runs name their group by id without a foreign key (the CLI's local runs have no group row).
        await trx.deleteFrom("runs").where("group_id", "=", id).execute();
        const result = await trx.deleteFrom("groups").where("id", "=", id).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) throw new NotFoundError("group", id);
      }),
    );
  }

  async listMembers(groupId: string): Promise<MemberRecord[]> {
    const rows = await this.read("listing group members", () =>
      this.db.selectFrom("group_members").selectAll().where("group_id", "=", groupId).orderBy("username").execute(),
    );
    return rows.map(memberFromRow);
  }

  async getMember(groupId: string, username: string): Promise<MemberRecord | undefined> {
    const row = await this.read("reading a group member", () =>
      this.db.selectFrom("group_members").selectAll().where("group_id", "=", groupId).where("username", "=", username).executeTakeFirst(),
    );
    return row && memberFromRow(row);
  }

  getGroupAccess(groupId: string, username: string): Promise<GroupAccessRecord | undefined> {
    return this.read("reading a group member", () => this.#access.groupAccess(groupId, username));
  }

  addMember(member: MemberRecord): Promise<void> {
    return this.write("adding a group member", async () => {
      await this.db.insertInto("group_members").values(memberToRow(member)).execute();
    });
  }

  setMemberRole(groupId: string, username: string, role: MemberRole): Promise<void> {
    return this.write("changing a member's role", async () => {
      const result = await this.db
        .updateTable("group_members")
        .set({ role })
        .where("group_id", "=", groupId)
        .where("username", "=", username)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("group member", username);
    });
  }

  removeMember(groupId: string, username: string): Promise<void> {
    return this.write("removing a group member", async () => {
      const result = await this.db.deleteFrom("group_members").where("group_id", "=", groupId).where("username", "=", username).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("group member", username);
    });
  }

  createPipeline(pipeline: PipelineRecord): Promise<void> {
    return this.write("creating a pipeline", async () => {
      await this.db.insertInto("pipelines").values(pipelineToRow(pipeline)).execute();
    });
  }

  async getPipeline(groupId: string, id: string): Promise<PipelineRecord | undefined> {
    const row = await this.read("reading a pipeline", () =>
      this.db.selectFrom("pipelines").selectAll().where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst(),
    );
    return row && pipelineFromRow(row);
  }

  async listPipelines(groupId: string): Promise<PipelineRecord[]> {
    const rows = await this.read("listing pipelines", () =>
      this.db.selectFrom("pipelines").selectAll().where("group_id", "=", groupId).orderBy("id").execute(),
    );
    return rows.map(pipelineFromRow);
  }

  updatePipeline(groupId: string, id: string, definition: unknown, updatedAt: number, updatedBy: string): Promise<void> {
    return this.write("updating a pipeline", async () => {
      const result = await this.db
        .updateTable("pipelines")
        .set({ definition: JSON.stringify(definition), updated_at: updatedAt, updated_by: updatedBy })
        .where("group_id", "=", groupId)
        .where("id", "=", id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("pipeline", id);
    });
  }

  deletePipeline(groupId: string, id: string): Promise<void> {
    return this.write("deleting a pipeline", async () => {
      const result = await this.db.deleteFrom("pipelines").where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("pipeline", id);
    });
  }

  createIdentity(identity: IdentityRecord): Promise<void> {
    return this.write("creating an identity", async () => {
      await this.db.insertInto("identities").values(identityToRow(identity)).execute();
    });
  }

  async getIdentity(uuid: string): Promise<IdentityRecord | undefined> {
    const row = await this.read("reading an identity", () => this.db.selectFrom("identities").selectAll().where("uuid", "=", uuid).executeTakeFirst());
    return row && identityFromRow(row);
  }

  async listIdentities(owner: string): Promise<IdentityRecord[]> {
    const rows = await this.read("listing identities", () =>
      this.db.selectFrom("identities").selectAll().where("owner", "=", owner).orderBy("created_at").orderBy("uuid").execute(),
    );
    return rows.map(identityFromRow);
  }

  deleteIdentity(uuid: string): Promise<void> {
    return this.write("deleting an identity", async () => {
      const result = await this.db.deleteFrom("identities").where("uuid", "=", uuid).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("identity", uuid);
    });
  }

  putSecret(secret: SecretRecord): Promise<void> {
    return this.write("storing a secret", async () => {
      await this.db
        .insertInto("group_secrets")
        .values({
          group_id: secret.groupId,
          name: secret.name,
          sealed_value: secret.sealedValue,
          created_at: secret.createdAt,
          updated_at: secret.updatedAt,
          allowed_pipelines: JSON.stringify(secret.allowedPipelines),
        })
        .onConflict((oc) =>
          oc.columns(["group_id", "name"]).doUpdateSet({ sealed_value: secret.sealedValue, updated_at: secret.updatedAt, allowed_pipelines: JSON.stringify(secret.allowedPipelines) }),
        )
        .execute();
    });
  }

  async getSecret(groupId: string, name: string): Promise<SecretRecord | undefined> {
    const row = await this.read("reading a secret", () =>
      this.db.selectFrom("group_secrets").selectAll().where("group_id", "=", groupId).where("name", "=", name).executeTakeFirst(),
    );
    return row && secretFromRow(row);
  }

  async listSecrets(groupId: string): Promise<SecretRecord[]> {
    const rows = await this.read("listing secrets", () =>
      this.db.selectFrom("group_secrets").selectAll().where("group_id", "=", groupId).orderBy("name").execute(),
    );
    return rows.map(secretFromRow);
  }

  deleteSecret(groupId: string, name: string): Promise<void> {
    return this.write("deleting a secret", async () => {
      const result = await this.db.deleteFrom("group_secrets").where("group_id", "=", groupId).where("name", "=", name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("secret", name);
    });
  }

  createSystem(system: SystemRecord): Promise<void> {
    return this.write("creating a system", async () => {
      await this.db.insertInto("systems").values(systemToRow(system)).execute();
    });
  }

  async getSystem(groupId: string, id: string): Promise<SystemRecord | undefined> {
    const row = await this.read("reading a system", () =>
      this.db.selectFrom("systems").selectAll().where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst(),
    );
    return row && systemFromRow(row);
  }

  async listSystems(groupId: string): Promise<SystemRecord[]> {
    const rows = await this.read("listing systems", () => this.db.selectFrom("systems").selectAll().where("group_id", "=", groupId).orderBy("id").execute());
    return rows.map(systemFromRow);
  }

  deleteSystem(groupId: string, id: string): Promise<void> {
    return this.write("deleting a system", async () => {
      const result = await this.db.deleteFrom("systems").where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("system", id);
    });
  }

  createArchive(archive: ArchiveRecord): Promise<void> {
    return this.write("creating an archive", async () => {
      await this.db.insertInto("archives").values(archiveToRow(archive)).execute();
    });
  }

  async getArchive(groupId: string, id: string): Promise<ArchiveRecord | undefined> {
    const row = await this.read("reading an archive", () =>
      this.db.selectFrom("archives").selectAll().where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst(),
    );
    return row && archiveFromRow(row);
  }

  async listArchives(groupId: string): Promise<ArchiveRecord[]> {
    const rows = await this.read("listing archives", () => this.db.selectFrom("archives").selectAll().where("group_id", "=", groupId).orderBy("id").execute());
    return rows.map(archiveFromRow);
  }

  deleteArchive(groupId: string, id: string): Promise<void> {
    return this.write("deleting an archive", async () => {
      const result = await this.db.deleteFrom("archives").where("group_id", "=", groupId).where("id", "=", id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFoundError("archive", id);
    });
  }

  putRunArchive(record: RunArchiveRecord): Promise<void> {
    const row = runArchiveToRow(record);
    return this.write("recording an archiving", async () => {
      await this.db
        .insertInto("run_archives")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["run_uuid", "archive_id"]).doUpdateSet({ status: row.status, attempts: row.attempts, message: row.message, location: row.location, updated_at: row.updated_at }),
        )
        .execute();
    });
  }

  async listRunArchives(runUuid: string): Promise<RunArchiveRecord[]> {
    const rows = await this.read("listing a run's archives", () =>
      this.db.selectFrom("run_archives").selectAll().where("run_uuid", "=", runUuid).orderBy("archive_id").execute(),
    );
    return rows.map(runArchiveFromRow);
  }

  async listPendingRunArchives(): Promise<RunArchiveRecord[]> {
    const rows = await this.read("listing pending archivings", () =>
      this.db.selectFrom("run_archives").selectAll().where("status", "=", "pending").orderBy("updated_at").execute(),
    );
    return rows.map(runArchiveFromRow);
  }

  revokeToken(jti: string, expiresAt: number): Promise<void> {
    return this.write("revoking a token", async () => {
      // Expired revocations are useless: the token fails its expiry check anyway.
      await this.db.deleteFrom("revoked_tokens").where("expires_at", "<", Date.now()).execute();
      await this.db.insertInto("revoked_tokens").values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column("jti").doNothing()).execute();
    });
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    const row = await this.read("checking a token", () => this.db.selectFrom("revoked_tokens").select("jti").where("jti", "=", jti).executeTakeFirst());
    return row !== undefined;
  }

  getTokenStanding(token: TokenRef): Promise<TokenStanding> {
    return this.read("checking a token", () => this.#access.tokenStanding(token));
  }

  private async read<T>(action: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw toStorageError(err, action);
    }
  }

  private async write(action: string, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (err) {
      throw toStorageError(err, action);
    }
  }
}

function userToRow(u: UserRecord): UsersTable {
  return {
    login: u.login,
    email: u.email,
    password_hash: u.passwordHash,
    confirmed: u.confirmed ? 1 : 0,
    confirmation_code: u.confirmationCode,
    is_admin: u.isAdmin ? 1 : 0,
    created_at: u.createdAt,
    login_key: u.login.toLowerCase(),
    email_key: u.email.toLowerCase(),
  };
}

function userFromRow(r: UsersTable): UserRecord {
  return {
    login: r.login,
    email: r.email,
    passwordHash: r.password_hash,
    confirmed: Number(r.confirmed) === 1,
    confirmationCode: r.confirmation_code,
    isAdmin: Number(r.is_admin) === 1,
    createdAt: Number(r.created_at),
  };
}

function groupToRow(g: GroupRecord): GroupsTable {
  return { id: g.id, uuid: g.uuid, owner: g.owner, created_at: g.createdAt };
}

function groupFromRow(r: GroupsTable): GroupRecord {
  return { id: r.id, uuid: r.uuid, owner: r.owner, createdAt: Number(r.created_at) };
}

function memberToRow(m: MemberRecord): GroupMembersTable {
  return { uuid: m.uuid, group_id: m.groupId, username: m.username, role: m.role };
}

function memberFromRow(r: GroupMembersTable): MemberRecord {
  return { uuid: r.uuid, groupId: r.group_id, username: r.username, role: r.role as MemberRole };
}

function pipelineToRow(p: PipelineRecord): PipelinesTable {
  return {
    uuid: p.uuid,
    group_id: p.groupId,
    id: p.id,
    owner: p.owner,
    definition: JSON.stringify(p.definition),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    updated_by: p.updatedBy,
  };
}

function pipelineFromRow(r: PipelinesTable): PipelineRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    definition: JSON.parse(r.definition) as unknown,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by ?? r.owner,
  };
}

function identityToRow(i: IdentityRecord): IdentitiesTable {
  return {
    uuid: i.uuid,
    owner: i.owner,
    type: i.type,
    name: i.name,
    description: i.description,
    host: i.host,
    sealed_credentials: i.sealedCredentials,
    created_at: i.createdAt,
  };
}

function identityFromRow(r: IdentitiesTable): IdentityRecord {
  return {
    uuid: r.uuid,
    owner: r.owner,
    type: r.type,
    name: r.name,
    description: r.description,
    host: r.host,
    sealedCredentials: r.sealed_credentials,
    createdAt: Number(r.created_at),
  };
}

function systemToRow(s: SystemRecord): SystemsTable {
  const { type, ...settings } = s.settings;
  return {
    uuid: s.uuid,
    group_id: s.groupId,
    id: s.id,
    type,
    owner: s.owner,
    description: s.description,
    settings: JSON.stringify(settings),
    created_at: s.createdAt,
  };
}

function systemFromRow(r: SystemsTable): SystemRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    description: r.description,
    settings: { ...(JSON.parse(r.settings) as object), type: r.type } as SystemSettings,
    createdAt: Number(r.created_at),
  };
}

function archiveToRow(a: ArchiveRecord): ArchivesTable {
  const { type, ...settings } = a.settings;
  return { uuid: a.uuid, group_id: a.groupId, id: a.id, type, owner: a.owner, settings: JSON.stringify(settings), created_at: a.createdAt };
}

function archiveFromRow(r: ArchivesTable): ArchiveRecord {
  return {
    uuid: r.uuid,
    groupId: r.group_id,
    id: r.id,
    owner: r.owner,
    settings: { ...(JSON.parse(r.settings) as object), type: r.type } as ArchiveSettings,
    createdAt: Number(r.created_at),
  };
}

function runArchiveToRow(r: RunArchiveRecord): RunArchivesTable {
  return {
    run_uuid: r.runUuid,
    archive_id: r.archiveId,
    status: r.status,
    attempts: r.attempts,
    message: r.message,
    location: r.location,
    updated_at: r.updatedAt,
  };
}

function runArchiveFromRow(r: RunArchivesTable): RunArchiveRecord {
  return {
    runUuid: r.run_uuid,
    archiveId: r.archive_id,
    status: r.status as RunArchiveStatus,
    attempts: Number(r.attempts),
    message: r.message,
    location: r.location,
    updatedAt: Number(r.updated_at),
  };
}

function secretFromRow(row: GroupSecretsTable): SecretRecord {
  return {
    groupId: row.group_id,
    name: row.name,
    sealedValue: row.sealed_value,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    allowedPipelines: JSON.parse(row.allowed_pipelines) as string[],
  };
}
