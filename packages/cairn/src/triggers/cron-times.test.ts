import { describe, expect, it } from "vitest";
import { cronProblem, latestFireTime, nextFireTime, nextFireTimes, timezoneProblem } from "./cron-times.js";

const at = (iso: string) => Date.parse(iso);

describe("cron times", () => {
  it("gives the next times of a 5-field expression in a time zone", () => {
    // 09:00 in Paris is 08:00 UTC in winter.
    expect(nextFireTimes({ cron: "0 9 * * 1-5", timezone: "Europe/Paris" }, at("2026-12-04T12:00:00Z"), 3).map((t) => new Date(t).toISOString())).toEqual([
      "2026-12-07T08:00:00.000Z",
      "2026-12-08T08:00:00.000Z",
      "2026-12-09T08:00:00.000Z",
    ]);
  });

  it("takes 6 fields with seconds first, strictly after the time given", () => {
    expect(nextFireTime({ cron: "*/2 * * * * *", timezone: "UTC" }, at("2026-01-01T00:00:02Z"))).toBe(at("2026-01-01T00:00:04Z"));
    expect(latestFireTime({ cron: "*/2 * * * * *", timezone: "UTC" }, at("2026-01-01T00:00:04Z"))).toBe(at("2026-01-01T00:00:04Z"));
    expect(latestFireTime({ cron: "0 * * * *", timezone: "UTC" }, at("2026-01-01T05:30:00Z"))).toBe(at("2026-01-01T05:00:00Z"));
  });

  it("names what is wrong with an expression or a zone", () => {
    expect(cronProblem("61 * * * *")).toMatch(/minute/);
    expect(cronProblem("* * * *")).toMatch(/five, six/);
    expect(cronProblem("* * * * * * *")).toBeDefined();
    expect(cronProblem("*/5 * * * *")).toBeUndefined();
    expect(timezoneProblem("Mars/Olympus")).toMatch(/IANA/);
    expect(timezoneProblem("America/New_York")).toBeUndefined();
  });
});
