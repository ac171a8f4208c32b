import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { send } from "../api";
import { attempt, Problem } from "../components/problem";
import { useSession } from "../session";

/**
 * The Kabuto flow: POST /register answers a confirmation token, GET
 * /register/confirm/LOGIN/TOKEN confirms the account, then the user signs in.
 * On a server where only admins register people, the API's refusal is shown as it says it.
 */
export function RegisterPage() {
  const { signIn } = useSession();
  const [error, setError] = useState<Error>();
  const [pending, setPending] = useState<{ login: string; password: string; token: string }>();
  const [confirmed, setConfirmed] = useState(false);

  async function register(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const login = String(form.get("login"));
    const password = String(form.get("password"));
    await attempt(setError, async () => {
      const answer = (await send("POST", "/register", { login, password, email: String(form.get("email")) })) as { status: string; token?: string };
      if (answer.status === "confirmed") setConfirmed(true);
      setPending({ login, password, token: answer.token ?? "" });
    });
  }

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) return;
    const token = String(new FormData(event.currentTarget).get("token"));
    await attempt(setError, async () => {
      await send("GET", `/register/confirm/${encodeURIComponent(pending.login)}/${encodeURIComponent(token)}`);
      setConfirmed(true);
    });
  }

  return (
    <section className="narrow">
      <h1>Register</h1>
      {!pending && (
        <form onSubmit={(e) => void register(e)} className="stack">
          <label>
            Login
            <input name="login" autoComplete="username" required />
          </label>
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="new-password" required />
          </label>
          <Problem error={error} />
          <button type="submit">Register</button>
        </form>
      )}
      {pending && !confirmed && (
        <form onSubmit={(e) => void confirm(e)} className="stack">
          <p>Registered {pending.login}. Confirm the registration with its token.</p>
          <label>
            Confirmation token
            <input name="token" defaultValue={pending.token} required />
          </label>
          <Problem error={error} />
          <button type="submit">Confirm</button>
        </form>
      )}
      {pending && confirmed && (
        <div className="stack">
          <p role="status">The account {pending.login} is confirmed.</p>
          <Problem error={error} />
          <button type="button" onClick={() => void attempt(setError, () => signIn(pending.login, pending.password))}>
            Sign in as {pending.login}
          </button>
        </div>
      )}
      <p>
        <Link to="/">Back to sign in</Link>
      </p>
    </section>
  );
}
