/**
 * Finds every occurrence of many literal patterns in one pass over a text
 * (Aho-Corasick), and can carry its state from one chunk of text to the next, which is
 * how a secret split across two log lines is still found.
 *
 * Why not one big regular expression: an alternation of ~250 literals (20 secrets in
 * a dozen encodings each) makes V8 try the alternatives at every position, and a regex
 * reports only one of two overlapping matches, which would leave the rest of an
 * overlapping second secret in clear.
 *
 * Layout, for speed in plain JS: characters are mapped to small class numbers (only
 * characters that occur in a pattern get one); the shallowest states, where a scan of
 * ordinary text spends nearly all its time, have a full transition row (a DFA) within a
 * fixed memory budget; deeper states keep only their children and fall back along
 * their failure links.
 */

export const ROOT_STATE = 0;

/** Whoever wants the matches: called once per end position, with the longest pattern ending there. */
export interface MatchSink {
  /** `start` is relative to the text scanned and is negative when the match began in earlier text. */
  add(start: number, end: number): void;
}

/** 2^18 entries (1 MiB) of dense transitions at most per automaton. */
const DEFAULT_DENSE_ENTRY_BUDGET = 1 << 18;
const NO_CHILD = -1;
const SEVERAL_CHILDREN = -2;

export class PatternAutomaton {
  readonly stateCount: number;
  private readonly asciiClass = new Int32Array(128);
  private readonly otherClass = new Map<number, number>();
  private readonly classCount: number;
  /** States 0 .. denseStates-1 (the shallowest, numbered breadth-first) have a full row here. */
  private readonly denseStates: number;
  private readonly dense: Int32Array;
  private readonly onlyChildClass: Int32Array;
  private readonly onlyChild: Int32Array;
  private readonly children = new Map<number, number>();
  private readonly failure: Int32Array;
  private readonly prefixLength: Int32Array;
  private readonly longestMatch: Int32Array;

  /** `denseEntryBudget` caps the memory of the dense rows (4 bytes each); tests lower it to reach the sparse path. */
  constructor(patterns: Iterable<string>, options: { denseEntryBudget?: number } = {}) {
    let classCount = 1; // class 0: a character no pattern contains
    const unique = [...new Set(patterns)].filter((p) => p.length > 0);
    for (const pattern of unique) {
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i);
        if (this.classOf(code) === 0) {
          if (code < 128) this.asciiClass[code] = classCount++;
          else this.otherClass.set(code, classCount++);
        }
      }
    }
    this.classCount = classCount;

    const trie = buildTrie(unique, (code) => this.classOf(code));
    const order = breadthFirst(trie.children);
    const idOf = new Int32Array(order.length);
    order.forEach((node, index) => (idOf[node] = index));

    const count = order.length;
    this.stateCount = count;
    this.failure = new Int32Array(count);
    this.prefixLength = new Int32Array(count);
    this.longestMatch = new Int32Array(count);
    this.onlyChildClass = new Int32Array(count).fill(NO_CHILD);
    this.onlyChild = new Int32Array(count);

    // Failure links and outputs, in breadth-first order so every link points to a state already done.
    for (const node of order) {
      const state = idOf[node]!;
      const kids = trie.children[node]!;
      if (kids.size === 1) {
        const [cls, child] = [...kids][0]!;
        this.onlyChildClass[state] = cls;
        this.onlyChild[state] = idOf[child]!;
      } else if (kids.size > 1) {
        this.onlyChildClass[state] = SEVERAL_CHILDREN;
        for (const [cls, child] of kids) this.children.set(state * classCount + cls, idOf[child]!);
      }
      for (const [cls, child] of kids) {
        const childState = idOf[child]!;
        this.prefixLength[childState] = this.prefixLength[state]! + 1;
        this.failure[childState] = state === ROOT_STATE ? ROOT_STATE : this.follow(this.failure[state]!, cls);
        this.longestMatch[childState] = trie.isPatternEnd[child] ? this.prefixLength[childState]! : this.longestMatch[this.failure[childState]!]!;
      }
    }

    this.denseStates = Math.max(1, Math.min(count, Math.floor((options.denseEntryBudget ?? DEFAULT_DENSE_ENTRY_BUDGET) / classCount)));
    this.dense = new Int32Array(this.denseStates * classCount);
    for (let state = 0; state < this.denseStates; state++) {
      for (let cls = 0; cls < classCount; cls++) {
        const child = this.childOf(state, cls);
        this.dense[state * classCount + cls] =
          child !== NO_CHILD ? child : state === ROOT_STATE ? ROOT_STATE : this.dense[this.failure[state]! * classCount + cls]!;
      }
    }
  }

  /** Feeds `text` starting from `state` (ROOT_STATE for a fresh text) and returns the state after it. */
  scan(text: string, state: number, sink: MatchSink): number {
    const longestMatch = this.longestMatch;
    for (let i = 0; i < text.length; i++) {
      state = this.next(state, text.charCodeAt(i));
      const length = longestMatch[state]!;
      if (length !== 0) sink.add(i + 1 - length, i + 1);
    }
    return state;
  }

  /** How many of the last characters fed could be the start of a pattern: text a later chunk may still complete. */
  pendingLength(state: number): number {
    return this.prefixLength[state]!;
  }

  private next(state: number, code: number): number {
    const cls = code < 128 ? this.asciiClass[code]! : (this.otherClass.get(code) ?? 0);
    if (cls === 0) return ROOT_STATE;
    for (;;) {
      if (state < this.denseStates) return this.dense[state * this.classCount + cls]!;
      const child = this.childOf(state, cls);
      if (child !== NO_CHILD) return child;
      state = this.failure[state]!;
    }
  }

  /** The transition of the plain trie-with-failures, used while building (before the dense rows exist). */
  private follow(state: number, cls: number): number {
    for (;;) {
      const child = this.childOf(state, cls);
      if (child !== NO_CHILD) return child;
      if (state === ROOT_STATE) return ROOT_STATE;
      state = this.failure[state]!;
    }
  }

  private childOf(state: number, cls: number): number {
    const only = this.onlyChildClass[state]!;
    if (only === cls) return this.onlyChild[state]!;
    if (only === SEVERAL_CHILDREN) return this.children.get(state * this.classCount + cls) ?? NO_CHILD;
    return NO_CHILD;
  }

  private classOf(code: number): number {
    return code < 128 ? this.asciiClass[code]! : (this.otherClass.get(code) ?? 0);
  }
}

interface Trie {
  /** Per node: character class to child node. Node 0 is the root. */
  children: Map<number, number>[];
  isPatternEnd: boolean[];
}

function buildTrie(patterns: readonly string[], classOf: (code: number) => number): Trie {
  const trie: Trie = { children: [new Map()], isPatternEnd: [false] };
  for (const pattern of patterns) {
    let node = 0;
    for (let i = 0; i < pattern.length; i++) {
      const cls = classOf(pattern.charCodeAt(i));
      let child = trie.children[node]!.get(cls);
      if (child === undefined) {
        child = trie.children.length;
        trie.children.push(new Map());
        trie.isPatternEnd.push(false);
        trie.children[node]!.set(cls, child);
      }
      node = child;
    }
    trie.isPatternEnd[node] = true;
  }
  return trie;
}

function breadthFirst(children: Map<number, number>[]): number[] {
  const order = [0];
  for (let i = 0; i < order.length; i++) {
    for (const child of children[order[i]!]!.values()) order.push(child);
  }
  return order;
}
