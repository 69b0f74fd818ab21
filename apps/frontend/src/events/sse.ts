/**
 * Server-Sent Events over fetch (not EventSource): the access token goes in the Authorization
 * header instead of the URL, a 401 can refresh the token before reconnecting, and the
 * `Last-Event-ID` header is sent on every reconnect so the backend replays what was missed.
 */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/** An incremental text/event-stream parser (WHATWG HTML "event stream interpretation"). */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | null = null;
  /** The last `id:` seen, kept across events as the spec's "last event ID buffer". */
  lastEventId: string | null = null;
  /** The server's `retry:` advice in milliseconds, if it sent one. */
  retryMs: number | null = null;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return null;
      }
      const message = { id: this.id, event: this.event || "message", data: this.data.join("\n") };
      this.data = [];
      this.event = "";
      return message;
    }
    if (line.startsWith(":")) return null; // comment / keepalive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return null;
  }
}

export type StreamStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface EventStreamOptions {
  url: string;
  /** The current access token (read on every connect). */
  accessToken: () => string | null;
  /** Called on a 401: refresh the token; false means signed out (stop). */
  onUnauthorized: () => Promise<boolean>;
  onMessage: (message: SseMessage) => void;
  onStatus?: (status: StreamStatus) => void;
  fetch?: typeof fetch;
  /** Backoff bounds; the server's `retry:` raises the floor. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Keeps one SSE connection open until `close()`, reconnecting with backoff. */
export class EventStream {
  private readonly options: Required<Omit<EventStreamOptions, "onStatus">> &
    Pick<EventStreamOptions, "onStatus">;
  private controller: AbortController | null = null;
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  lastEventId: string | null = null;
  private serverRetryMs: number | null = null;

  constructor(options: EventStreamOptions) {
    this.options = {
      fetch: (input, init) => globalThis.fetch(input, init),
      minDelayMs: 1000,
      maxDelayMs: 30_000,
      ...options,
    };
  }

  start(): void {
    this.closed = false;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    this.options.onStatus?.("closed");
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const token = this.options.accessToken();
    if (!token) {
      this.close();
      return;
    }
    this.options.onStatus?.(this.attempt === 0 ? "connecting" : "reconnecting");
    const controller = new AbortController();
    this.controller = controller;
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      Authorization: `Bearer ${token}`,
    };
    if (this.lastEventId !== null) headers["Last-Event-ID"] = this.lastEventId;
    try {
      const response = await this.options.fetch(this.options.url, {
        headers,
        signal: controller.signal,
        cache: "no-store",
      });
      if (response.status === 401) {
        if (await this.options.onUnauthorized()) {
          this.schedule(0);
        } else {
          this.close();
        }
        return;
      }
      if (!response.ok || !response.body) throw new Error(`event stream: HTTP ${response.status}`);
      this.attempt = 0;
      this.options.onStatus?.("open");
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id !== null) this.lastEventId = message.id;
          this.options.onMessage(message);
        }
        if (parser.retryMs !== null) this.serverRetryMs = parser.retryMs;
      }
    } catch {
      if (this.isClosed()) return; // close() aborted the request
    }
    this.schedule(this.nextDelay());
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Exponential backoff from max(min delay, server's retry) to the maximum. */
  nextDelay(): number {
    const floor = Math.max(this.options.minDelayMs, this.serverRetryMs ?? 0);
    const delay = Math.min(this.options.maxDelayMs, floor * 2 ** this.attempt);
    this.attempt += 1;
    return delay;
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.options.onStatus?.("reconnecting");
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
