import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PatternAutomaton, ROOT_STATE } from "./pattern-automaton.js";

/** For each end position in `text`, the length of the longest pattern ending there (0: none), found the slow way. */
function naiveLongestMatches(patterns: string[], text: string): number[] {
  return Array.from({ length: text.length }, (_, i) => {
    const end = i + 1;
    return Math.max(0, ...patterns.filter((p) => p.length > 0 && p.length <= end && text.slice(end - p.length, end) === p).map((p) => p.length));
  });
}

function scanLongestMatches(automaton: PatternAutomaton, chunks: string[]): number[] {
  const found: number[] = [];
  let state = ROOT_STATE;
  let offset = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) found.push(0);
    const base = offset;
    state = automaton.scan(chunk, state, { add: (start, end) => (found[base + end - 1] = end - start) });
    offset += chunk.length;
  }
  return found;
}

describe("PatternAutomaton", () => {
  it("reports the longest pattern ending at each position, overlapping ones included", () => {
    const automaton = new PatternAutomaton(["he", "she", "his", "hers"]);
    expect(scanLongestMatches(automaton, ["ushers"])).toEqual([0, 0, 0, 3, 0, 4]);
  });

  it("carries a match across chunks, reporting a start before the chunk", () => {
    const automaton = new PatternAutomaton(["secret"]);
    const starts: number[] = [];
    const state = automaton.scan("my sec", ROOT_STATE, { add: () => expect.fail("no match yet") });
    expect(automaton.pendingLength(state)).toBe(3);
    automaton.scan("ret!", state, { add: (start) => starts.push(start) });
    expect(starts).toEqual([-3]);
  });

  it("handles characters outside ASCII and outside every pattern", () => {
    const automaton = new PatternAutomaton(["ключ", "🔑x"]);
    expect(scanLongestMatches(automaton, ["a ключ 🔑🔑x"])).toEqual(naiveLongestMatches(["ключ", "🔑x"], "a ключ 🔑🔑x"));
  });

  // Small alphabets make overlaps and failure chains common; a tiny dense budget sends most states down the sparse path.
  for (const denseEntryBudget of [undefined, 0, 12]) {
    it(`agrees with a naive search on random patterns and text (dense budget ${denseEntryBudget ?? "default"})`, () => {
      const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "é"), minLength: 1, maxLength: 6 });
      fc.assert(
        fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c", "é", "x"), maxLength: 15 }), { maxLength: 4 }), (patterns, chunks) => {
          const automaton = new PatternAutomaton(patterns, { denseEntryBudget });
          expect(scanLongestMatches(automaton, chunks)).toEqual(naiveLongestMatches(patterns, chunks.join("")));
        }),
        { numRuns: 400 },
      );
    });
  }
});
