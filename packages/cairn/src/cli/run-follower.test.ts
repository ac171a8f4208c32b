import { describe, expect, it } from "vitest";
import type { CairnClient, Execution, Run } from "../client/cairn-client.js";
import { followRun } from "./run-follower.js";

/** followRun against a scripted client: the run's states in turn, no task attempts. */
function clientWith(states: Run["status"][]): CairnClient {
  let call = 0;
  const run = (status: Run["status"]) => ({ uuid: "r-1", status, message: null }) as unknown as Run;
  return {
    getRun: async () => run(states[Math.min(call++, states.length - 1)]!),
    listExecutions: async () => [] as Execution[],
  } as unknown as CairnClient;
}

describe("followRun", () => {
  it("says once that a run waits pending for a slot, then follows it to its end", async () => {
    const lines: string[] = [];
    const ended = await followRun(clientWith(["pending", "pending", "running", "succeeded"]), { uuid: "r-1" } as Run, { write: (t) => lines.push(t) }, { json: false, pollMs: 1 });
    expect(ended.status).toBe("succeeded");
    expect(lines).toEqual(["run r-1 pending: waiting for a slot of its pipeline's max_concurrent_runs\n"]);
  });

  it("says nothing of the kind for a run that starts at once", async () => {
    const lines: string[] = [];
    await followRun(clientWith(["running", "succeeded"]), { uuid: "r-1" } as Run, { write: (t) => lines.push(t) }, { json: false, pollMs: 1 });
    expect(lines).toEqual([]);
  });
});
