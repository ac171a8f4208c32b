import type { Kysely } from "kysely";
import { NotFoundError } from "../errors.js";
import type { AccessQueries } from "./access-queries.js";
import { guarded } from "./group-scoped-rows.js";
import type { Database, GroupMembersTable, GroupsTable } from "./schema.js";
import type { GroupAccessRecord, GroupRecord, GroupStore, MemberRecord, MemberRole } from "./service-store.js";

/** Groups and their members. */
export function kyselyGroupStore(db: Kysely<Database>, access: AccessQueries): GroupStore {
  return {
    createGroup(group: GroupRecord, members: MemberRecord[]): Promise<void> {
      return guarded("creating a group", () =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto("groups").values(groupToRow(group)).execute();
          if (members.length > 0) await trx.insertInto("group_members").values(members.map(memberToRow)).execute();
        }),
      );
    },

    async getGroup(id: string): Promise<GroupRecord | undefined> {
      const row = await guarded("reading a group", () => db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst());
      return row && groupFromRow(row);
    },

    async listGroupsOf(username: string): Promise<GroupRecord[]> {
      const rows = await guarded("listing groups", () =>
        db
          .selectFrom("groups")
          .innerJoin("group_members", "group_members.group_id", "groups.id")
          .selectAll("groups")
          .where("group_members.username", "=", username)
          .orderBy("groups.id")
          .execute(),
      );
      return rows.map(groupFromRow);
    },

    deleteGroup(id: string): Promise<void> {
      return guarded("deleting a group", () =>
        db.transaction().execute(async (trx) => {
          // Runs name their group by id without a foreign key (the CLI's local runs have no group row).
          await trx.deleteFrom("runs").where("group_id", "=", id).execute();
          const result = await trx.deleteFrom("groups").where("id", "=", id).executeTakeFirst();
          if (Number(result.numDeletedRows) === 0) throw new NotFoundError("group", id);
        }),
      );
    },

    async setGroupMaxParallelTasks(id: string, limit: number | null): Promise<void> {
      const result = await guarded("setting a group's max_parallel_tasks", () =>
        db.updateTable("groups").set({ max_parallel_tasks: limit }).where("id", "=", id).executeTakeFirst(),
      );
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("group", id);
    },

    async listMembers(groupId: string): Promise<MemberRecord[]> {
      const rows = await guarded("listing group members", () =>
        db.selectFrom("group_members").selectAll().where("group_id", "=", groupId).orderBy("username").execute(),
      );
      return rows.map(memberFromRow);
    },

    async getMember(groupId: string, username: string): Promise<MemberRecord | undefined> {
      const row = await guarded("reading a group member", () =>
        db.selectFrom("group_members").selectAll().where("group_id", "=", groupId).where("username", "=", username).executeTakeFirst(),
      );
      return row && memberFromRow(row);
    },

    getGroupAccess(groupId: string, username: string): Promise<GroupAccessRecord | undefined> {
      return guarded("reading a group member", () => access.groupAccess(groupId, username));
    },

    addMember(member: MemberRecord): Promise<void> {
      return guarded("adding a group member", async () => {
        await db.insertInto("group_members").values(memberToRow(member)).execute();
      });
    },

    setMemberRole(groupId: string, username: string, role: MemberRole): Promise<void> {
      return guarded("changing a member's role", async () => {
        const result = await db
          .updateTable("group_members")
          .set({ role })
          .where("group_id", "=", groupId)
          .where("username", "=", username)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError("group member", username);
      });
    },

    removeMember(groupId: string, username: string): Promise<void> {
      return guarded("removing a group member", async () => {
        const result = await db.deleteFrom("group_members").where("group_id", "=", groupId).where("username", "=", username).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) throw new NotFoundError("group member", username);
      });
    },
  };
}

function groupToRow(g: GroupRecord): GroupsTable {
  return { id: g.id, uuid: g.uuid, owner: g.owner, created_at: g.createdAt, max_parallel_tasks: g.maxParallelTasks ?? null };
}

function groupFromRow(r: GroupsTable): GroupRecord {
  return { id: r.id, uuid: r.uuid, owner: r.owner, createdAt: Number(r.created_at), maxParallelTasks: r.max_parallel_tasks === null ? null : Number(r.max_parallel_tasks) };
}

function memberToRow(m: MemberRecord): GroupMembersTable {
  return { uuid: m.uuid, group_id: m.groupId, username: m.username, role: m.role };
}

function memberFromRow(r: GroupMembersTable): MemberRecord {
  return { uuid: r.uuid, groupId: r.group_id, username: r.username, role: r.role as MemberRole };
}
