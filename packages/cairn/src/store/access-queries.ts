import { expressionBuilder, sql, type Kysely } from "kysely";
import type { RunRecord, RunSummary, TokenRunAccess } from "./store.js";
import { preparedQuery, type Param } from "./prepared-query.js";
import { runFromRow, runSummaryFromRow } from "./row-mappers.js";
import type { Database, RunsTable } from "./schema.js";
import type { PreparedReads } from "./store-dialect.js";
import type { GroupAccessRecord, MemberRole, TokenRef, TokenStanding } from "./service-store.js";

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
  readonly #tokenRunAccess;

  constructor(db: Kysely<Database>, reads: PreparedReads) {
    this.#tokenStanding = preparedQuery<TokenParams, StandingRow>(db, reads, (p) => db.selectNoFrom(standingColumns(p)));

    this.#groupAccess = preparedQuery<{ groupId: string; login: string }, AccessRow>(db, reads, (p) =>
      db
        .selectFrom("groups")
        .innerJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("login")))
        .select(ACCESS_COLUMNS)
        .where("groups.id", "=", p("groupId")),
    );

    // The run only when it belongs to the group: a run of another group is as absent as a missing one.
    this.#groupAccessWithRun = preparedQuery<{ groupId: string; login: string; runUuid: string }, AccessRow & RunColumns>(db, reads, (p) =>
      db
        .selectFrom("groups")
        .innerJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("login")))
        .leftJoin("runs", (join) => join.on("runs.uuid", "=", p("runUuid")).onRef("runs.group_id", "=", "groups.id"))
        .select(ACCESS_COLUMNS)
        .selectAll("runs")
        .where("groups.id", "=", p("groupId")),
    );

    // Everything left-joined to a one-row table, so the token's standing comes back even
    // when the group, the membership or the run does not exist.
    this.#tokenRunAccess = preparedQuery<TokenParams & { groupId: string; runUuid: string }, StandingRow & Partial<AccessRow> & SummaryColumns>(db, reads, (p) =>
      db
        .selectFrom(db.selectNoFrom(sql<number>`1`.as("one")).as("request"))
        .leftJoin("groups", (join) => join.on("groups.id", "=", p("groupId")))
        .leftJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("login")))
        .leftJoin("runs", (join) => join.on("runs.uuid", "=", p("runUuid")).onRef("runs.group_id", "=", "groups.id"))
        .select([...standingColumns(p), ...ACCESS_COLUMNS, ...SUMMARY_COLUMNS]),
    );
  }

  async tokenStanding(token: TokenRef): Promise<TokenStanding> {
    const [row] = await this.#tokenStanding.execute(tokenParams(token));
    return standingFromRow(token, row);
  }

  async groupAccess(groupId: string, login: string): Promise<GroupAccessRecord | undefined> {
    const [row] = await this.#groupAccess.execute({ groupId, login });
    return row && accessFromRow(row);
  }

  async groupAccessWithRun(groupId: string, login: string, runUuid: string): Promise<(GroupAccessRecord & { run: RunRecord | undefined }) | undefined> {
    const [row] = await this.#groupAccessWithRun.execute({ groupId, login, runUuid });
    return row && { ...accessFromRow(row), run: runOfRow(row) };
  }

  async tokenRunAccess(token: TokenRef, groupId: string, runUuid: string): Promise<TokenRunAccess> {
    const [row] = await this.#tokenRunAccess.execute({ ...tokenParams(token), groupId, runUuid });
    const isMember = row?.member_uuid !== null && row?.member_uuid !== undefined;
    return {
      standing: standingFromRow(token, row),
      access: isMember ? accessFromRow(row as AccessRow) : undefined,
      run: row && isMember ? summaryOfRow(row) : undefined,
    };
  }
}

interface TokenParams {
  jti: string;
  login: string;
  tokenRunUuid: string | null;
}

function tokenParams(token: TokenRef): TokenParams {
  return { jti: token.jti, login: token.login, tokenRunUuid: token.runUuid ?? null };
}

/** Scalar subqueries: whether the token was revoked, its user's admin flag (NULL: no such user), its run's status. */
function standingColumns(p: Param<TokenParams>) {
  const eb = expressionBuilder<Database, never>();
  return [
    eb.exists(eb.selectFrom("revoked_tokens").select("jti").where("jti", "=", p("jti"))).as("token_revoked"),
    eb.selectFrom("users").select("is_admin").where("login", "=", p("login")).as("user_is_admin"),
    // A run's token dies with its run. NULL (a session's token) matches no run.
    eb
      .selectFrom("runs")
      .select("status")
      .where("uuid", "=", p("tokenRunUuid") as string)
      .as("token_run_status"),
  ] as const;
}

interface StandingRow {
  token_revoked: unknown;
  user_is_admin: number | null;
  token_run_status: string | null;
}

function standingFromRow(token: TokenRef, row: StandingRow | undefined): TokenStanding {
  const isAdmin = row?.user_is_admin;
  return {
    // SQLite answers 0 or 1, PostgreSQL a boolean.
    revoked: Boolean(Number(row?.token_revoked ?? 0)),
    user: isAdmin === null || isAdmin === undefined ? undefined : { login: token.login, isAdmin: Number(isAdmin) === 1 },
    runStatus: row?.token_run_status ?? undefined,
  };
}

const ACCESS_COLUMNS = [
  // Not `group_id`: the run's own columns come in the same row.
  "group_members.group_id as member_group_id",
  "groups.uuid as group_uuid",
  "groups.owner as group_owner",
  "groups.created_at as group_created_at",
  "group_members.uuid as member_uuid",
  "group_members.username as member_username",
  "group_members.role as member_role",
] as const;

interface AccessRow {
  member_group_id: string;
  group_uuid: string;
  group_owner: string;
  group_created_at: number;
  member_uuid: string;
  member_username: string;
  member_role: string;
}

function accessFromRow(row: AccessRow): GroupAccessRecord {
  return {
    group: { id: row.member_group_id, uuid: row.group_uuid, owner: row.group_owner, createdAt: Number(row.group_created_at) },
    member: { uuid: row.member_uuid, groupId: row.member_group_id, username: row.member_username, role: row.member_role as MemberRole },
  };
}

/** The run's columns of a LEFT JOIN: all NULL when there is no such run. */
type RunColumns = { [K in keyof RunsTable]: RunsTable[K] | null };

function runOfRow(row: RunColumns): RunRecord | undefined {
  return row.uuid === null ? undefined : runFromRow(row as RunsTable);
}

/** The run's columns but its pipeline (often the largest, and parsed as JSON). */
const SUMMARY_COLUMNS = [
  "runs.uuid",
  "runs.pipeline_id",
  "runs.group_id",
  "runs.status",
  "runs.params",
  "runs.directives",
  "runs.created_at",
  "runs.started_at",
  "runs.ended_at",
  "runs.message",
  "runs.started_by",
] as const;

type SummaryColumns = Omit<RunColumns, "pipeline">;

function summaryOfRow(row: SummaryColumns): RunSummary | undefined {
  return row.uuid === null ? undefined : runSummaryFromRow(row as Omit<RunsTable, "pipeline">);
}
