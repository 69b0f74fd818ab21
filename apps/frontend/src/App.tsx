import { useEffect, useState } from "react";

type Readiness = { status: string; reason: string };
type ServiceState = { name: string; url: string; state?: Readiness; error?: string };

const SERVICES: ServiceState[] = [
  { name: "Backend API", url: "/api/readyz" },
  { name: "Matching", url: "/matching/readyz" },
];

async function probe(service: ServiceState): Promise<ServiceState> {
  try {
    const response = await fetch(service.url);
    return { ...service, state: (await response.json()) as Readiness };
  } catch (err) {
    return { ...service, error: String(err) };
  }
}

export function App() {
  const [services, setServices] = useState<ServiceState[]>(SERVICES);

  useEffect(() => {
    void Promise.all(SERVICES.map(probe)).then(setServices);
  }, []);

  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 720, margin: "2rem auto" }}>
      <h1>Homecare · 방문요양</h1>
      <p>가까운 요양보호사를 찾고, 예약하고, 방문을 실시간으로 확인하세요.</p>
      <h2>Platform status</h2>
      <ul data-testid="service-status">
        {services.map((s) => (
          <li key={s.name}>
            {s.name}: <strong>{s.error ? "unreachable" : (s.state?.status ?? "checking…")}</strong>
            {s.state && s.state.status !== "ok" ? ` (${s.state.reason})` : null}
          </li>
        ))}
      </ul>
    </main>
  );
}
