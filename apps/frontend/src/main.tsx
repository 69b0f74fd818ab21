import "./zod-config";
import "./styles";
import "./theme.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { installStyleNonce } from "./csp";
import { initI18n } from "./i18n";

initI18n();
const nonce = installStyleNonce();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App styleNonce={nonce} />
  </StrictMode>,
);
