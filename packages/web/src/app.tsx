import { useEffect, useRef } from "react";
import { Link, Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { ArchivesPage } from "./pages/archives";
import { GroupPage } from "./pages/group";
import { GroupsPage } from "./pages/groups";
import { IdentitiesPage } from "./pages/identities";
import { ImagePage } from "./pages/image";
import { ImagesPage } from "./pages/images";
import { PipelinePage } from "./pages/pipeline";
import { RegisterPage } from "./pages/register";
import { RunPage } from "./pages/run";
import { SecretsPage } from "./pages/secrets";
import { SignInPage } from "./pages/sign-in";
import { SystemsPage } from "./pages/systems";
import { useSession } from "./session";

export function App() {
  const { login, signOut } = useSession();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);

  // A new page moves focus to its content, as a full page load would, for keyboard and screen-reader users.
  useEffect(() => {
    main.current?.focus();
  }, [location.pathname]);

  if (login === undefined) return <p className="loading">Loading…</p>;
  const signedIn = login !== null;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Cairn
        </Link>
        {signedIn && (
          <nav aria-label="Main">
            <NavLink to="/groups">Groups</NavLink>
            <NavLink to="/identities">Identities</NavLink>
          </nav>
        )}
        {signedIn && (
          <div className="who">
            <span>Signed in as {login}</span>
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {signedIn ? (
          <Routes>
            <Route path="/" element={<Navigate to="/groups" replace />} />
            <Route path="/sign-in" element={<Navigate to="/groups" replace />} />
            <Route path="/sign-up" element={<Navigate to="/groups" replace />} />
            <Route path="/groups" element={<GroupsPage />} />
            <Route path="/groups/:group" element={<GroupPage />} />
            <Route path="/groups/:group/pipelines/:pipeline" element={<PipelinePage />} />
            <Route path="/groups/:group/pipelines/:pipeline/runs/:run" element={<RunPage />} />
            <Route path="/groups/:group/pipelines/:pipeline/runs/:run/tasks/:task" element={<RunPage />} />
            <Route path="/groups/:group/images" element={<ImagesPage />} />
            <Route path="/groups/:group/images/:digest" element={<ImagePage />} />
            <Route path="/groups/:group/secrets" element={<SecretsPage />} />
            <Route path="/groups/:group/systems" element={<SystemsPage />} />
            <Route path="/groups/:group/archives" element={<ArchivesPage />} />
            <Route path="/identities" element={<IdentitiesPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        ) : (
          <Routes>
            <Route path="/sign-up" element={<RegisterPage />} />
            <Route path="*" element={<SignInPage />} />
          </Routes>
        )}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        No page here. <Link to="/groups">Your groups</Link>
      </p>
    </>
  );
}
