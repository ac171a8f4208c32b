import { CairnError, NotFoundError } from "../errors.js";
import type { GroupRecord, MemberRecord, MemberRole, ServiceStore } from "../store/service-store.js";
import type { RunRecord, Store } from "../store/store.js";
import { ensurePersonalGroup, personalGroup } from "./personal-group.js";
import type { Principal } from "./principal.js";

/**
 * Who may do what in a group. A group is invisible to non-members: they get the same
 * 404 as for a group that does not exist, so ids do not leak. Members who lack the
 * role for an action get 403, since they can see the group anyway.
 *
 * Membership is read from the database on every call, never cached, so a removed
 * member or a changed role counts from the next request on, in every server process.
 */

const RANK: Record<MemberRole, number> = { member: 0, admin: 1, owner: 2 };

export interface GroupAccess {
  group: GroupRecord;
  member: MemberRecord;
}

export async function accessGroup(store: ServiceStore, principal: Principal, groupId: string, needs: MemberRole = "member"): Promise<GroupAccess> {
  refuseOutOfScope(principal, groupId);
  const found = await store.getGroupAccess(groupId, principal.login);
  if (!found && ownPersonalGroup(principal, groupId)) {
    // `~LOGIN` exists for its user from the first request on, as Kabuto's routes make it.
    await ensurePersonalGroup(store, principal.login);
    return admit(await store.getGroupAccess(groupId, principal.login), groupId, needs);
  }
  return admit(found, groupId, needs);
}

function ownPersonalGroup(principal: Principal, groupId: string): boolean {
  return principal.scope === undefined && groupId === personalGroup(principal.login);
}

/**
 * accessGroup for a member, and the group's run `runUuid` with it, in one read (the
 * path of every request about a run). `run` is undefined when the group has no such run.
 */
export async function accessGroupRun(store: Store, principal: Principal, groupId: string, runUuid: string): Promise<GroupAccess & { run: RunRecord | undefined }> {
  refuseOutOfScope(principal, groupId);
  const found = await store.getGroupAccessWithRun(groupId, principal.login, runUuid);
  return { ...admit(found, groupId, "member"), run: found?.run };
}

/**
 * accessGroup's verdict on a membership read elsewhere (with the caller's token, say):
 * the same 404 and 403 for the same reasons.
 */
export function admitToGroup(principal: Principal, groupId: string, found: GroupAccess | undefined, needs: MemberRole = "member"): GroupAccess {
  refuseOutOfScope(principal, groupId);
  return admit(found, groupId, needs);
}

/** A run's token reaches its own group only. */
function refuseOutOfScope(principal: Principal, groupId: string): void {
  if (principal.scope && principal.scope.groupId !== groupId) throw new NotFoundError("group", groupId);
}

function admit(found: GroupAccess | undefined, groupId: string, needs: MemberRole): GroupAccess {
  if (!found) throw new NotFoundError("group", groupId);
  const { group, member } = found;
  if (RANK[member.role] < RANK[needs]) {
    throw new CairnError("forbidden", `only the group's ${needs === "owner" ? "owner" : "owners and admins"} may do this; you are a ${member.role} of '${groupId}'`);
  }
  return { group, member };
}
