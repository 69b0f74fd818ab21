import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState } from "react";
import type { ReactNode } from "react";
import { API_BASE } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { EventStream, type StreamStatus } from "./sse";

export interface LiveEvent {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  created_at?: string;
}

interface LiveValue {
  status: StreamStatus;
  last: LiveEvent | null;
  /** The latest events of this page's life, newest last (a screen may show several in a row). */
  recent: LiveEvent[];
}

const RECENT = 20;
const LiveContext = createContext<LiveValue>({ status: "closed", last: null, recent: [] });

/** Which cached queries each event kind makes stale. */
const STALE_BY_KIND: Record<string, string[][]> = {
  offer_made: [["offers"]],
  offer_withdrawn: [["offers"]],
  booking_confirmed: [["bookings"]],
  dispatch_exhausted: [["bookings"]],
  "booking.status_changed": [["bookings"]],
  "message.created": [["messages"]],
  "review.created": [["bookings"]],
  "review.replied": [["bookings"]],
  // Visit verification: the visit, its booking's status, the care log and the agency's queue.
  caregiver_arrived: [["bookings"]],
  visit_started: [["bookings"]],
  visit_completed: [["bookings"]],
  visit_exception: [["bookings"], ["visit-exceptions"]],
  care_log_updated: [["bookings"]],
};

/** One live connection per signed-in tab: refreshes the affected lists as events arrive. */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const { api, tokens, status: authStatus } = useAuth();
  const queryClient = useQueryClient();
  const [value, setValue] = useState<LiveValue>({ status: "closed", last: null, recent: [] });

  useEffect(() => {
    if (authStatus !== "signed-in") return undefined;
    const stream = new EventStream({
      url: `${API_BASE}/v1/events`,
      accessToken: () => tokens.get()?.access_token ?? null,
      // Any authenticated call refreshes the token through the client's 401 handling.
      onUnauthorized: async () => (await api.GET("/v1/me")).response.ok,
      onStatus: (status) => setValue((v) => ({ ...v, status })),
      onMessage: (message) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(message.data) as LiveEvent;
        } catch {
          return;
        }
        void queryClient.invalidateQueries({ queryKey: ["notifications"] });
        for (const key of STALE_BY_KIND[event.kind] ?? []) {
          void queryClient.invalidateQueries({ queryKey: key });
        }
        setValue((v) => ({ ...v, last: event, recent: [...v.recent.slice(1 - RECENT), event] }));
      },
    });
    stream.start();
    return () => stream.close();
  }, [api, tokens, authStatus, queryClient]);

  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveEvents(): LiveValue {
  return useContext(LiveContext);
}
