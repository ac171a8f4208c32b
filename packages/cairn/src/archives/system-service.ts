import { CairnError, NotFoundError } from "../errors.js";
import type { ServiceStore } from "../store/service-store.js";

/**
 * Deletes a system that no archive of its group uses: NotFoundError when there is none,
 * `conflict` naming the archives that use it.
 */
export async function deleteUnusedSystem(service: Pick<ServiceStore, "getSystem" | "listArchives" | "deleteSystem">, groupId: string, id: string): Promise<void> {
  const system = await service.getSystem(groupId, id);
  if (!system) throw new NotFoundError("system", id);
  const users = (await service.listArchives(groupId)).filter((a) => a.settings.systemId === system.id).map((a) => a.id);
  if (users.length > 0) throw new CairnError("conflict", `system '${system.id}' is used by archive${users.length > 1 ? "s" : ""} ${users.map((a) => `'${a}'`).join(", ")}; delete those first`);
  await service.deleteSystem(groupId, system.id);
}
