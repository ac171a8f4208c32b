import { describe, expect, it } from "vitest";
import type { Run } from "../client/cairn-client.js";
import { formatDuration, formatRunsTable } from "./runs-table.js";

function run(overrides: Partial<Run>): Run {
  return {
    uuid: "00000000-0000-4000-8000-000000000001",
    pipeline_id: "hello",
    group: "group-uuid",
    group_id: "lab",
    status: "succeeded",
    params: {},
    directives: {},
    created_at: "2024-05-01T10:22:14.123Z",
    started_at: "2024-05-01T10:22:14.200Z",
    ended_at: "2024-05-01T10:22:16.700Z",
    message: null,
    started_by: "ada",
    trigger: "api",
    retry_of: null,
    ...overrides,
  };
}

describe("formatRunsTable", () => {
  it("aligns the columns and shows what a person needs", () => {
    const table = formatRunsTable([
      run({}),
      run({ uuid: "00000000-0000-4000-8000-000000000002", pipeline_id: "a-longer-pipeline", status: "running", ended_at: null }),
      run({ uuid: "00000000-0000-4000-8000-000000000003", status: "failed", message: "tasks that did not succeed: greet (failed)\nmore detail" }),
    ]);
    expect(table).toBe(
      [
        "RUN                                   PIPELINE               STATUS     CREATED (UTC)         TOOK   MESSAGE",
        "00000000-0000-4000-8000-000000000001  lab/hello              succeeded  2024-05-01 10:22:14Z  2.5 s",
        "00000000-0000-4000-8000-000000000002  lab/a-longer-pipeline  running    2024-05-01 10:22:14Z  -",
        "00000000-0000-4000-8000-000000000003  lab/hello              failed     2024-05-01 10:22:14Z  2.5 s  tasks that did not succeed: greet (failed)",
        "",
      ].join("\n"),
    );
  });

  it("says so when there are no runs", () => {
    expect(formatRunsTable([])).toBe("no runs\n");
  });

  it("cuts a long message to one short line", () => {
    const line = formatRunsTable([run({ message: "x".repeat(200) })]).split("\n")[1]!;
    const message = line.split("  ").pop()!;
    expect(message).toBe(`${"x".repeat(59)}…`);
  });
});

describe("formatDuration", () => {
  it("picks a unit a person reads at a glance", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 m 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 m");
  });
});
