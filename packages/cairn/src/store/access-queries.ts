import type { Kysely } from "kysely";
import type { RunRecord } from "./store.js";
import { preparedQuery } from "./prepared-query.js";
import { runFromRow } from "./row-mappers.js";
import type { Database, RunsTable } from "./schema.js";
import type { GroupAccessRecord, MemberRole, TokenStanding } from "./service-store.js";

/**
 * The reads every authenticated API request makes, each one prepared query instead of
 * one query per table. A statement costs mostly its round trip (on SQLite, taking and
 * releasing the WAL read lock: three system calls; on PostgreSQL, a network round trip),
 * so joining what one check needs is cheaper than asking table by table. Nothing is
 * cached: every request reads the current rows, so a revoked token, a removed member or
 * a changed role takes effect at once, in every process sharing the database.
 */
export class AccessQueries {
  readonly #tokenStanding;
  readonly #groupAccess;
  readonly #groupAccessWithRun;

  constructor(db: Kysely<Database>) {
    this.#tokenStanding = preparedQuery<{ jti: string; login: string; runUuid: string | null }, TokenStandingRow>(db, (p) =>
      db.selectNoFrom((eb) => [
        eb.exists(eb.selectFrom("revoked_tokens").select("jti").where("jti", "=", p("jti"))).as("revoked"),
        eb.selectFrom("users").select("is_admin").where("login", "=", p("login")).as("is_admin"),
        // A run token's run: it dies with the run. NULL (no run) matches no row.
        eb.selectFrom("runs").select("status").where("uuid", "=", p("runUuid") as string).as("run_status"),
      ]),
    );

    this.#groupAccess = preparedQuery<{ groupId: string; username: string }, GroupAccessRow>(db, (p) =>
      db
        .selectFrom("groups")
        .innerJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("username")))
        .select(GROUP_ACCESS_COLUMNS)
        .where("groups.id", "=", p("groupId")),
    );

    // The run only when it belongs to the group: a run of another group is as absent as a missing one.
    this.#groupAccessWithRun = preparedQuery<{ groupId: string; username: string; runUuid: string }, GroupAccessRow & NullableRun>(db, (p) =>
      db
        .selectFrom("groups")
        .innerJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("username")))
        .leftJoin("runs", (join) => join.on("runs.uuid", "=", p("runUuid")).onRef("runs.group_id", "=", "groups.id"))
        .select(GROUP_ACCESS_COLUMNS)
        .selectAll("runs")
        .where("groups.id", "=", p("groupId")),
    );
  }

  async tokenStanding(jti: string, login: string, runUuid: string | undefined): Promise<TokenStanding> {
    const [row] = await this.#tokenStanding.execute({ jti, login, runUuid: runUuid ?? null });
    return {
      // SQLite answers 0 or 1, PostgreSQL a boolean.
      revoked: Boolean(Number(row?.revoked ?? 0)),
      user: row?.is_admin === null || row?.is_admin === undefined ? undefined : { login, isAdmin: Number(row.is_admin) === 1 },
      runStatus: row?.run_status ?? undefined,
    };
  }

  async groupAccess(groupId: string, username: string): Promise<GroupAccessRecord | undefined> {
    const [row] = await this.#groupAccess.execute({ groupId, username });
    return row && accessFromRow(row);
  }

  async groupAccessWithRun(groupId: string, username: string, runUuid: string): Promise<(GroupAccessRecord & { run: RunRecord | undefined }) | undefined> {
    const [row] = await this.#groupAccessWithRun.execute({ groupId, username, runUuid });
    if (!row) return undefined;
    return { ...accessFromRow(row), run: row.uuid === null ? undefined : runFromRow(row as RunsTable) };
  }
}

interface TokenStandingRow {
  revoked: unknown;
  is_admin: number | null;
  run_status: string | null;
}

const GROUP_ACCESS_COLUMNS = [
  // Not `group_id`: the run's own columns come in the same row.
  "group_members.group_id as member_group_id",
  "groups.uuid as group_uuid",
  "groups.owner as group_owner",
  "groups.created_at as group_created_at",
  "group_members.uuid as member_uuid",
  "group_members.username as member_username",
  "group_members.role as member_role",
] as const;

interface GroupAccessRow {
  member_group_id: string;
  group_uuid: string;
  group_owner: string;
  group_created_at: number;
  member_uuid: string;
  member_username: string;
  member_role: string;
}

/** The run's columns of a LEFT JOIN: all NULL when the group has no such run. */
type NullableRun = { [K in keyof RunsTable]: RunsTable[K] | null };

function accessFromRow(row: GroupAccessRow): GroupAccessRecord {
  return {
    group: { id: row.member_group_id, uuid: row.group_uuid, owner: row.group_owner, createdAt: Number(row.group_created_at) },
    member: { uuid: row.member_uuid, groupId: row.member_group_id, username: row.member_username, role: row.member_role as MemberRole },
  };
}
