import { CairnError, NotFoundError } from "../errors.js";
import type { GroupRecord, MemberRecord, MemberRole, ServiceStore } from "../store/service-store.js";
import type { Principal } from "./principal.js";

/**
 * Who may do what in a group. A group is invisible to non-members: they get the same
 * 404 as for a group that does not exist, so ids do not leak. Members who lack the
 * role for an action get 403, since they can see the group anyway.
 */

const RANK: Record<MemberRole, number> = { member: 0, admin: 1, owner: 2 };

export interface GroupAccess {
  group: GroupRecord;
  member: MemberRecord;
}

export async function accessGroup(store: ServiceStore, principal: Principal, groupId: string, needs: MemberRole = "member"): Promise<GroupAccess> {
  if (principal.scope && principal.scope.groupId !== groupId) throw new NotFoundError("group", groupId);
  const [group, member] = await Promise.all([store.getGroup(groupId), store.getMember(groupId, principal.login)]);
  if (!group || !member) throw new NotFoundError("group", groupId);
  if (RANK[member.role] < RANK[needs]) {
    throw new CairnError("forbidden", `only the group's ${needs === "owner" ? "owner" : "owners and admins"} may do this; you are a ${member.role} of '${groupId}'`);
  }
  return { group, member };
}
