import { describe, expect, it } from "vitest";
import type { GroupAccessRecord, MemberRole } from "../store/service-store.js";
import { actingLogin } from "./run-token-actor.js";

/** A group `lab` whose members have the roles given; anyone else is not a member. */
function lab(roles: Record<string, MemberRole>) {
  return {
    async getGroupAccess(groupId: string, login: string): Promise<GroupAccessRecord | undefined> {
      const role = groupId === "lab" ? roles[login] : undefined;
      if (role === undefined) return undefined;
      return { group: { id: "lab", uuid: "g", owner: "olga", createdAt: 1 }, member: { uuid: `m-${login}`, groupId: "lab", username: login, role } };
    },
  };
}

const roles = lab({ olga: "owner", ada: "admin", max: "member", mia: "member" });
const run = (startedBy: string, definedBy?: string) => ({ groupId: "lab", startedBy, ...(definedBy !== undefined ? { definedBy } : {}) });

describe("whom a run's token acts for", () => {
  it("acts for a member, not the admin, when the admin starts or re-runs the member's pipeline", async () => {
    expect(await actingLogin(roles, run("ada", "max"))).toBe("max");
    expect(await actingLogin(roles, run("olga", "max"))).toBe("max");
    expect(await actingLogin(roles, run("olga", "ada"))).toBe("ada");
  });

  it("acts for the starter when the starter is the less privileged, or the author's rank is the same", async () => {
    expect(await actingLogin(roles, run("max", "ada"))).toBe("max");
    expect(await actingLogin(roles, run("max", "mia"))).toBe("max");
    expect(await actingLogin(roles, run("max", "max"))).toBe("max");
  });

  it("acts for the starter alone when the author is unknown (runs from before authors were recorded)", async () => {
    expect(await actingLogin(roles, run("ada"))).toBe("ada");
  });

  it("acts for an author who has left the group, whose token then reaches nothing of it", async () => {
    expect(await actingLogin(roles, run("olga", "gone"))).toBe("gone");
  });
});
