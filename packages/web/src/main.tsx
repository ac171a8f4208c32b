import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./app";
import { SessionProvider } from "./session";
import "./styles.css";

// The graph's chunk is fetched once the first page is up, so that opening a pipeline or a
// run does not wait for it; it is not part of the first load (test/web/bundle-size.test.ts).
window.addEventListener("load", () => setTimeout(() => void import("./graph/task-graph"), 500), { once: true });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
