import { useState, type FormEvent } from "react";
import { attempt, Problem } from "../components/problem";

/**
 * A definition written as JSON, for resources whose bodies have several shapes (systems,
 * archives): the server checks it, and its answer names any field that is wrong.
 */
export function JsonCreateForm({ label, example, create }: { label: string; example: object; create: (body: unknown) => Promise<unknown> }) {
  const [error, setError] = useState<Error>();
  const [text, setText] = useState(JSON.stringify(example, null, 2));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await attempt(setError, async () => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new Error(`the definition is not JSON: ${(err as Error).message}`);
      }
      await create(body);
    });
  }

  return (
    <form onSubmit={(e) => void submit(e)} className="stack">
      <label>
        {label} (JSON)
        <textarea rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      </label>
      <button type="submit">Create</button>
      <Problem error={error} />
    </form>
  );
}
