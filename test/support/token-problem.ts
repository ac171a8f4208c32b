import { TokenError } from "../../packages/cairn/src/auth/tokens.js";

/** What a TokenError thrown by `run` names as the problem; undefined when nothing is thrown (any other error is rethrown). */
export function tokenProblemOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof TokenError) return err.problem;
    throw err;
  }
  return undefined;
}
