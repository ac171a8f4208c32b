import { expressionBuilder, sql, type Kysely } from "kysely";
import type { RunRecord, TokenRunAccess } from "./store.js";
import { preparedQuery, type Param, type Row } from "./prepared-query.js";
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
    this.#tokenStanding = preparedQuery<TokenParams, StandingColumn>(db, reads, (p) => db.selectNoFrom(standingColumns(p)));

    this.#groupAccess = preparedQuery<{ groupId: string; login: string }, AccessColumn>(db, reads, (p) =>
      db
        .selectFrom("groups")
        .innerJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("login")))
        .select(ACCESS_COLUMNS)
        .where("groups.id", "=", p("groupId")),
    );

    // The run only when it belongs to the group: a run of another group is as absent as a missing one.
    this.#groupAccessWithRun = preparedQuery<{ groupId: string; login: string; runUuid: string }, AccessColumn | RunColumn>(db, reads, (p) =>
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
    this.#tokenRunAccess = preparedQuery<TokenParams & { groupId: string; runUuid: string }, StandingColumn | AccessColumn | SummaryColumn>(db, reads, (p) =>
      db
        .selectFrom(db.selectNoFrom(sql<number>`1`.as("one")).as("request"))
        .leftJoin("groups", (join) => join.on("groups.id", "=", p("groupId")))
        .leftJoin("group_members", (join) => join.onRef("group_members.group_id", "=", "groups.id").on("group_members.username", "=", p("login")))
        .leftJoin("runs", (join) => join.on("runs.uuid", "=", p("runUuid")).onRef("runs.group_id", "=", "groups.id"))
        .select([...standingColumns(p), ...ACCESS_COLUMNS, ...SUMMARY_COLUMNS]),
    );
  }

  async tokenStanding(token: TokenRef): Promise<TokenStanding> {
    const { rows, at } = await this.#tokenStanding.execute(tokenParams(token));
    return standingFromRow(token, rows[0], at);
  }

  async groupAccess(groupId: string, login: string): Promise<GroupAccessRecord | undefined> {
    const { rows, at } = await this.#groupAccess.execute({ groupId, login });
    return rows[0] && accessFromRow(rows[0], at);
  }

  async groupAccessWithRun(groupId: string, login: string, runUuid: string): Promise<(GroupAccessRecord & { run: RunRecord | undefined }) | undefined> {
    const { rows, at } = await this.#groupAccessWithRun.execute({ groupId, login, runUuid });
    const row = rows[0];
    return row && { ...accessFromRow(row, at), run: row[at.uuid] === null ? undefined : runFromRow({ ...summaryColumnsOf(row, at), pipeline: row[at.pipeline] as string }) };
  }

  async tokenRunAccess(token: TokenRef, groupId: string, runUuid: string): Promise<TokenRunAccess> {
    const { rows, at } = await this.#tokenRunAccess.execute({ ...tokenParams(token), groupId, runUuid });
    const row = rows[0];
    const isMember = row !== undefined && row[at.member_uuid] !== null;
    return {
      standing: standingFromRow(token, row, at),
      access: isMember ? accessFromRow(row, at) : undefined,
      run: isMember && row[at.uuid] !== null ? runSummaryFromRow(summaryColumnsOf(row, at)) : undefined,
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

type StandingColumn = "token_revoked" | "user_is_admin" | "token_run_status";

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

function standingFromRow(token: TokenRef, row: Row | undefined, at: Record<StandingColumn, number>): TokenStanding {
  const isAdmin = row?.[at.user_is_admin] as number | boolean | null | undefined;
  return {
    // SQLite answers 0 or 1, PostgreSQL a boolean.
    revoked: Boolean(Number(row?.[at.token_revoked] ?? 0)),
    user: isAdmin === null || isAdmin === undefined ? undefined : { login: token.login, isAdmin: Number(isAdmin) === 1 },
    runStatus: (row?.[at.token_run_status] as string | null | undefined) ?? undefined,
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

type AccessColumn = "member_group_id" | "group_uuid" | "group_owner" | "group_created_at" | "member_uuid" | "member_username" | "member_role";

function accessFromRow(row: Row, at: Record<AccessColumn, number>): GroupAccessRecord {
  const groupId = row[at.member_group_id] as string;
  return {
    group: { id: groupId, uuid: row[at.group_uuid] as string, owner: row[at.group_owner] as string, createdAt: Number(row[at.group_created_at]) },
    member: { uuid: row[at.member_uuid] as string, groupId, username: row[at.member_username] as string, role: row[at.member_role] as MemberRole },
  };
}

type RunColumn = keyof RunsTable;

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
  "runs.defined_by",
  "runs.trigger",
  "runs.retry_of",
] as const;

type SummaryColumn = Exclude<RunColumn, "pipeline">;

/** The run's columns of a row whose run is there (its uuid is not NULL). */
function summaryColumnsOf(row: Row, at: Record<SummaryColumn, number>): Omit<RunsTable, "pipeline"> {
  return {
    uuid: row[at.uuid] as string,
    pipeline_id: row[at.pipeline_id] as string,
    group_id: row[at.group_id] as string,
    status: row[at.status] as string,
    params: row[at.params] as string,
    directives: row[at.directives] as string,
    created_at: row[at.created_at] as number,
    started_at: row[at.started_at] as number | null,
    ended_at: row[at.ended_at] as number | null,
    message: row[at.message] as string | null,
    started_by: row[at.started_by] as string | null,
    defined_by: row[at.defined_by] as string | null,
    trigger: row[at.trigger] as string | null,
    retry_of: row[at.retry_of] as string | null,
  };
}

