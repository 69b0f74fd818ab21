import "./zod-config";
import "./styles";
import "./theme.css";
import { StrictMode, startTransition } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { installStyleNonce } from "./csp";
import { initI18n } from "./i18n";

initI18n();
const nonce = installStyleNonce();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
// The first render as a transition: React renders it in slices that yield to the browser every
// few milliseconds instead of one long task (Lighthouse's Total Blocking Time counts every
// main-thread task over 50 ms), and commits it once, as before.
startTransition(() => {
  createRoot(root).render(
    <StrictMode>
      <App styleNonce={nonce} />
    </StrictMode>,
  );
});
