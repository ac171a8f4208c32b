import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { attempt, Problem } from "../components/problem";
import { useSession } from "../session";

/** Shown on any address while signed out; once signed in, that same address shows its page (deep links survive). */
export function SignInPage() {
  const { signIn } = useSession();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    await attempt(setError, () => signIn(String(form.get("login")), String(form.get("password"))));
    setBusy(false);
  }

  return (
    <section className="narrow">
      <h1>Sign in to Cairn</h1>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          Login
          <input name="login" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <Problem error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        No account? <Link to="/sign-up">Register</Link>
      </p>
    </section>
  );
}
