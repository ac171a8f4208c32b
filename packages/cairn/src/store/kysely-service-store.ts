import type { Kysely } from "kysely";
import type { AccessQueries } from "./access-queries.js";
import { KyselyArchiveStore } from "./kysely-archive-store.js";
import { KyselyGroupStore } from "./kysely-group-store.js";
import { KyselyIdentityStore } from "./kysely-identity-store.js";
import { KyselyKabutoJobStore } from "./kysely-kabuto-job-store.js";
import { KyselyPipelineStore } from "./kysely-pipeline-store.js";
import { KyselySecretStore } from "./kysely-secret-store.js";
import { KyselySystemStore } from "./kysely-system-store.js";
import { KyselyTokenStore } from "./kysely-token-store.js";
import { KyselyUserStore } from "./kysely-user-store.js";
import type { Database } from "./schema.js";
import type {
  ArchiveRecord,
  GroupAccessRecord,
  GroupRecord,
  IdentityRecord,
  KabutoJobRecord,
  MemberRecord,
  MemberRole,
  PipelineRecord,
  RunArchiveRecord,
  SecretRecord,
  ServiceStore,
  SystemRecord,
  TokenRef,
  TokenStanding,
  UserRecord,
} from "./service-store.js";

/**
 * The ServiceStore over the same Kysely instance as the run store: one store per aggregate
 * (kysely-*-store.ts), the group-scoped ones over GroupScopedRows, put together behind the
 * one interface callers use.
 */
export class KyselyServiceStore implements ServiceStore {
  readonly #users: KyselyUserStore;
  readonly #groups: KyselyGroupStore;
  readonly #pipelines: KyselyPipelineStore;
  readonly #kabutoJobs: KyselyKabutoJobStore;
  readonly #identities: KyselyIdentityStore;
  readonly #secrets: KyselySecretStore;
  readonly #systems: KyselySystemStore;
  readonly #archives: KyselyArchiveStore;
  readonly #tokens: KyselyTokenStore;

  /** `access`: the prepared queries authentication and group checks run on every request. */
  constructor(db: Kysely<Database>, access: AccessQueries) {
    this.#users = new KyselyUserStore(db);
    this.#groups = new KyselyGroupStore(db, access);
    this.#pipelines = new KyselyPipelineStore(db);
    this.#kabutoJobs = new KyselyKabutoJobStore(db);
    this.#identities = new KyselyIdentityStore(db);
    this.#secrets = new KyselySecretStore(db);
    this.#systems = new KyselySystemStore(db);
    this.#archives = new KyselyArchiveStore(db);
    this.#tokens = new KyselyTokenStore(db, access);
  }

  // UserStore
  createUser(user: UserRecord): Promise<void> {
    return this.#users.createUser(user);
  }

  getUser(login: string): Promise<UserRecord | undefined> {
    return this.#users.getUser(login);
  }

  confirmUser(login: string): Promise<void> {
    return this.#users.confirmUser(login);
  }

  countUsers(): Promise<number> {
    return this.#users.countUsers();
  }

  // GroupStore
  createGroup(group: GroupRecord, members: MemberRecord[]): Promise<void> {
    return this.#groups.createGroup(group, members);
  }

  getGroup(id: string): Promise<GroupRecord | undefined> {
    return this.#groups.getGroup(id);
  }

  listGroupsOf(username: string): Promise<GroupRecord[]> {
    return this.#groups.listGroupsOf(username);
  }

  deleteGroup(id: string): Promise<void> {
    return this.#groups.deleteGroup(id);
  }

  listMembers(groupId: string): Promise<MemberRecord[]> {
    return this.#groups.listMembers(groupId);
  }

  getMember(groupId: string, username: string): Promise<MemberRecord | undefined> {
    return this.#groups.getMember(groupId, username);
  }

  addMember(member: MemberRecord): Promise<void> {
    return this.#groups.addMember(member);
  }

  setMemberRole(groupId: string, username: string, role: MemberRole): Promise<void> {
    return this.#groups.setMemberRole(groupId, username, role);
  }

  removeMember(groupId: string, username: string): Promise<void> {
    return this.#groups.removeMember(groupId, username);
  }

  getGroupAccess(groupId: string, username: string): Promise<GroupAccessRecord | undefined> {
    return this.#groups.getGroupAccess(groupId, username);
  }

  // PipelineStore
  createPipeline(pipeline: PipelineRecord): Promise<void> {
    return this.#pipelines.createPipeline(pipeline);
  }

  getPipeline(groupId: string, id: string): Promise<PipelineRecord | undefined> {
    return this.#pipelines.getPipeline(groupId, id);
  }

  listPipelines(groupId: string): Promise<PipelineRecord[]> {
    return this.#pipelines.listPipelines(groupId);
  }

  updatePipeline(groupId: string, id: string, definition: unknown, updatedAt: number, updatedBy: string): Promise<void> {
    return this.#pipelines.updatePipeline(groupId, id, definition, updatedAt, updatedBy);
  }

  deletePipeline(groupId: string, id: string): Promise<void> {
    return this.#pipelines.deletePipeline(groupId, id);
  }

  // KabutoJobStore
  addKabutoJob(job: Omit<KabutoJobRecord, "position" | "runUuid">): Promise<KabutoJobRecord> {
    return this.#kabutoJobs.addKabutoJob(job);
  }

  getKabutoJob(uuid: string): Promise<KabutoJobRecord | undefined> {
    return this.#kabutoJobs.getKabutoJob(uuid);
  }

  listKabutoJobs(groupId: string, pipelineId: string): Promise<KabutoJobRecord[]> {
    return this.#kabutoJobs.listKabutoJobs(groupId, pipelineId);
  }

  markKabutoJobsSubmitted(uuids: readonly string[], runUuid: string): Promise<number> {
    return this.#kabutoJobs.markKabutoJobsSubmitted(uuids, runUuid);
  }

  // IdentityStore
  createIdentity(identity: IdentityRecord): Promise<void> {
    return this.#identities.createIdentity(identity);
  }

  getIdentity(uuid: string): Promise<IdentityRecord | undefined> {
    return this.#identities.getIdentity(uuid);
  }

  listIdentities(owner: string): Promise<IdentityRecord[]> {
    return this.#identities.listIdentities(owner);
  }

  deleteIdentity(uuid: string): Promise<void> {
    return this.#identities.deleteIdentity(uuid);
  }

  // SecretStore
  putSecret(secret: SecretRecord): Promise<void> {
    return this.#secrets.putSecret(secret);
  }

  getSecret(groupId: string, name: string): Promise<SecretRecord | undefined> {
    return this.#secrets.getSecret(groupId, name);
  }

  listSecrets(groupId: string): Promise<SecretRecord[]> {
    return this.#secrets.listSecrets(groupId);
  }

  deleteSecret(groupId: string, name: string): Promise<void> {
    return this.#secrets.deleteSecret(groupId, name);
  }

  // SystemStore
  createSystem(system: SystemRecord): Promise<void> {
    return this.#systems.createSystem(system);
  }

  getSystem(groupId: string, id: string): Promise<SystemRecord | undefined> {
    return this.#systems.getSystem(groupId, id);
  }

  listSystems(groupId: string): Promise<SystemRecord[]> {
    return this.#systems.listSystems(groupId);
  }

  deleteSystem(groupId: string, id: string): Promise<void> {
    return this.#systems.deleteSystem(groupId, id);
  }

  // ArchiveStore
  createArchive(archive: ArchiveRecord): Promise<void> {
    return this.#archives.createArchive(archive);
  }

  getArchive(groupId: string, id: string): Promise<ArchiveRecord | undefined> {
    return this.#archives.getArchive(groupId, id);
  }

  listArchives(groupId: string): Promise<ArchiveRecord[]> {
    return this.#archives.listArchives(groupId);
  }

  deleteArchive(groupId: string, id: string): Promise<void> {
    return this.#archives.deleteArchive(groupId, id);
  }

  putRunArchive(record: RunArchiveRecord): Promise<void> {
    return this.#archives.putRunArchive(record);
  }

  listRunArchives(runUuid: string): Promise<RunArchiveRecord[]> {
    return this.#archives.listRunArchives(runUuid);
  }

  listPendingRunArchives(): Promise<RunArchiveRecord[]> {
    return this.#archives.listPendingRunArchives();
  }

  // TokenStore
  revokeToken(jti: string, expiresAt: number): Promise<void> {
    return this.#tokens.revokeToken(jti, expiresAt);
  }

  isTokenRevoked(jti: string): Promise<boolean> {
    return this.#tokens.isTokenRevoked(jti);
  }

  getTokenStanding(token: TokenRef): Promise<TokenStanding> {
    return this.#tokens.getTokenStanding(token);
  }
}
