import { randomUUID } from "node:crypto";
import { CairnError } from "../errors.js";
import type { ServiceStore } from "../store/service-store.js";

/**
 * Every user has a personal group `~LOGIN`, where Kabuto's `POST /image` builds and
 * Kabuto's pipelines live (kabuto-api.txt knows no groups). It is an ordinary group row,
 * so its pipelines, runs and images show in the Tapis API too, but it is made on first
 * use rather than at registration, and it keeps one member: its owner.
 */

export function personalGroup(login: string): string {
  return `~${login}`;
}

export function isPersonalGroup(groupId: string): boolean {
  return groupId.startsWith("~");
}

/** The caller's personal group id, its row made now if this is its first use. */
export async function ensurePersonalGroup(service: ServiceStore, login: string): Promise<string> {
  const id = personalGroup(login);
  if (await service.getGroup(id)) return id;
  await service
    .createGroup({ id, uuid: randomUUID(), owner: login, createdAt: Date.now() }, [{ uuid: randomUUID(), groupId: id, username: login, role: "owner" }])
    .catch((err: unknown) => {
      // Made by a request of the same caller at the same moment.
      if ((err as { code?: string }).code !== "conflict") throw err;
    });
  return id;
}

/** Membership changes would make a personal group shared, which its name says it is not. */
export function refusePersonalGroupMembers(groupId: string): void {
  if (isPersonalGroup(groupId)) {
    throw new CairnError("conflict", `'${groupId}' is a personal group: it has one member, its owner; create a group to share work`);
  }
}
