import { ApiProblem } from "../api";

/** An error as the API worded it, with each field it named; announced to screen readers. */
export function Problem({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  return (
    <div className="problem" role="alert">
      <p>{error.message}</p>
      {error instanceof ApiProblem && error.issues.length > 0 && (
        <ul>
          {error.issues.map((issue) => (
            <li key={issue.path + issue.message}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Runs an action of a form or button, showing its error; answers whether it worked. */
export async function attempt(setError: (error: Error | undefined) => void, action: () => Promise<unknown>): Promise<boolean> {
  setError(undefined);
  try {
    await action();
    return true;
  } catch (err) {
    setError(err instanceof Error ? err : new Error(String(err)));
    return false;
  }
}
