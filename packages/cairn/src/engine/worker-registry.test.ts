import { describe, expect, it } from "vitest";
import type { RunId } from "../ids.js";
import type { Store } from "../store/store.js";
import { WorkerRegistry } from "./worker-registry.js";

/**
 * When a heartbeat says a run in hand was lost (and the server fails-stop): only when
 * another worker holds its claim now, never because the run ended in between (its claim
 * is then gone). A fake store: the real claims are tested in claim-store.suite.ts.
 */
function registryOver(claims: { held: RunId[]; owners: Record<string, string | undefined> }) {
  const store = {
    capabilities: { multipleWriters: true },
    claims: {
      heartbeat: async () => claims.held,
      getClaim: async (uuid: RunId) => (claims.owners[uuid] === undefined ? undefined : { runUuid: uuid, workerId: claims.owners[uuid]!, leaseUntil: 0 }),
    },
  } as unknown as Store;
  const registry = new WorkerRegistry({ store, id: "me:1:1", role: "all", slotsTotal: 4, leaseMs: 10_000, warn: () => undefined });
  const lost: RunId[][] = [];
  registry.on("lost", (runs) => lost.push(runs));
  return { registry, lost };
}

describe("a worker's heartbeat", () => {
  const a = "a" as RunId;
  const b = "b" as RunId;
  const c = "c" as RunId;

  it("reports a run another worker holds now as lost", async () => {
    const { registry, lost } = registryOver({ held: [a], owners: { [a]: "me:1:1", [b]: "other:2:2" } });
    registry.measure(() => 0, () => [a, b]);
    await registry.beat();
    expect(lost).toEqual([[b]]);
  });

  it("does not report a run that ended since it was read, whose claim is gone", async () => {
    const { registry, lost } = registryOver({ held: [a], owners: { [a]: "me:1:1" } });
    registry.measure(() => 0, () => [a, c]);
    await registry.beat();
    expect(lost).toEqual([]);
  });
});
