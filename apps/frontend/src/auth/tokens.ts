/**
 * The access and refresh tokens. Kept in localStorage so a reload or a second tab stays signed
 * in; the strict Content-Security-Policy (scripts only from our origin) is what protects them
 * from injected scripts. Logging out in one tab clears the others through the `storage` event.
 */
export interface Tokens {
  access_token: string;
  refresh_token: string;
}

const KEY = "homecare.tokens";
type Listener = (tokens: Tokens | null) => void;

export class TokenStore {
  private listeners = new Set<Listener>();
  private storage: Storage;

  constructor(storage: Storage = window.localStorage) {
    this.storage = storage;
    if (typeof window !== "undefined") {
      window.addEventListener("storage", (event) => {
        if (event.key === KEY) this.emit();
      });
    }
  }

  get(): Tokens | null {
    const raw = this.storage.getItem(KEY);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<Tokens>;
      return parsed.access_token && parsed.refresh_token
        ? { access_token: parsed.access_token, refresh_token: parsed.refresh_token }
        : null;
    } catch {
      return null;
    }
  }

  set(tokens: Tokens): void {
    this.storage.setItem(
      KEY,
      JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }),
    );
    this.emit();
  }

  clear(): void {
    this.storage.removeItem(KEY);
    this.emit();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const tokens = this.get();
    for (const listener of this.listeners) listener(tokens);
  }
}
