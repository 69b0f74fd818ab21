import { setNonce } from "get-nonce";

/**
 * The Content-Security-Policy nonce of this page load. The server (nginx `sub_filter`, or
 * `make up`'s server) writes a fresh one into index.html's `<meta property="csp-nonce">` (Vite's
 * `html.cspNonce`) and into the `style-src 'nonce-…'` of the same response, so the `<style>`
 * elements Mantine (responsive props, AppShell media rules, visible/hidden-from classes) and
 * react-remove-scroll create at runtime are allowed without `'unsafe-inline'`. The browser
 * hides the attribute after parsing; the `nonce` property keeps the value for scripts.
 */
export function styleNonce(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce || undefined;
}

/** Hands the nonce to react-style-singleton (used by react-remove-scroll under Mantine's modals). */
export function installStyleNonce(): string | undefined {
  const nonce = styleNonce();
  if (nonce) setNonce(nonce);
  return nonce;
}
