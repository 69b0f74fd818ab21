// jsdom lacks the layout APIs Mantine asks for; give it inert ones (no behaviour is faked).
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});

const inert = () => undefined;
if (typeof window.matchMedia !== "function") {
  Object.defineProperty(window, "matchMedia", {
    configurable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: inert,
      removeEventListener: inert,
      dispatchEvent: () => false,
    }),
  });
}
if (!("ResizeObserver" in globalThis)) {
  Object.defineProperty(globalThis, "ResizeObserver", {
    value: class {
      observe = inert;
      unobserve = inert;
      disconnect = inert;
    },
  });
}
if (!("scrollIntoView" in window.HTMLElement.prototype)) {
  Object.defineProperty(window.HTMLElement.prototype, "scrollIntoView", { value: inert });
}
