import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, onSignedOut, send, unwrap, W } from "./api";

/**
 * Who is signed in. The session itself is the httpOnly cookie, which scripts cannot read:
 * asking for the groups tells whether it holds. The login is remembered only to be shown.
 */
interface Session {
  /** undefined while the first check runs; null when signed out. */
  login: string | null | undefined;
  signIn(login: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | undefined>(undefined);
const LOGIN_KEY = "cairn.login";

export function SessionProvider({ children }: { children: ReactNode }) {
  const [login, setLogin] = useState<string | null | undefined>(undefined);

  useEffect(() => {
    unwrap(api.GET(`${W}/groups`)).then(
      () => setLogin(localStorage.getItem(LOGIN_KEY) ?? "you"),
      () => setLogin(null),
    );
    return onSignedOut(() => setLogin(null));
  }, []);

  const signIn = useCallback(async (name: string, password: string) => {
    await send("POST", "/login", { login: name, password });
    localStorage.setItem(LOGIN_KEY, name);
    setLogin(name);
  }, []);

  const signOut = useCallback(async () => {
    // The cookie is cleared by the answer; a session already gone is signed out too.
    await send("POST", "/logout").catch(() => undefined);
    localStorage.removeItem(LOGIN_KEY);
    setLogin(null);
  }, []);

  return <SessionContext.Provider value={{ login, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
