import { MantineProvider, createTheme } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { createApi } from "./api/client";
import { AuthProvider, homeOf, useAuth, type Role } from "./auth/AuthContext";
import { TokenStore } from "./auth/tokens";
import { Loading } from "./components/Loading";
import { LiveEventsProvider } from "./events/LiveEvents";
import { LoginPage } from "./pages/LoginPage";

// Screens load on demand: the first paint needs only the login form. The signed-in frame
// (AppShell, navigation) is a chunk of its own too, fetched in parallel with the first screen.
const Layout = lazy(() => import("./components/Layout"));
const SignupPage = lazy(() => import("./pages/SignupPage"));
const NotificationsPage = lazy(() => import("./pages/NotificationsPage"));
const ThreadsPage = lazy(() => import("./pages/MessagesPage"));
const ThreadPage = lazy(() => import("./pages/MessagesPage").then((m) => ({ default: m.ThreadPage })));
const RecipientsPage = lazy(() => import("./pages/family/RecipientsPage"));
const CaregiversPage = lazy(() => import("./pages/family/CaregiversPage"));
const BookingsPage = lazy(() => import("./pages/family/BookingsPage"));
const BookingDetailPage = lazy(() => import("./pages/family/BookingDetailPage"));
const PaySuccessPage = lazy(() =>
  import("./pages/family/PayResultPages").then((m) => ({ default: m.PaySuccessPage })),
);
const PayFailPage = lazy(() =>
  import("./pages/family/PayResultPages").then((m) => ({ default: m.PayFailPage })),
);
const ProfilePage = lazy(() => import("./pages/caregiver/ProfilePage"));
const AvailabilityPage = lazy(() => import("./pages/caregiver/AvailabilityPage"));
const OffersPage = lazy(() => import("./pages/caregiver/OffersPage"));
const VerifyPage = lazy(() => import("./pages/admin/VerifyPage"));
const CareRequestsPage = lazy(() => import("./pages/family/CareRequestsPage"));
const CareRequestDetailPage = lazy(() => import("./pages/family/CareRequestDetailPage"));
const TodayPage = lazy(() => import("./pages/caregiver/TodayPage"));
const ExceptionsPage = lazy(() => import("./pages/admin/ExceptionsPage"));
const StatementsPage = lazy(() => import("./pages/StatementsPage"));

const theme = createTheme({ primaryColor: "teal", defaultRadius: "md" });

function RequireRole({ roles, children }: { roles: Role[]; children: React.ReactNode }) {
  const { user, status } = useAuth();
  if (status === "loading") return <Loading />;
  if (!user) return <Navigate to="/login" replace />;
  if (!roles.includes(user.role)) return <Navigate to={homeOf(user.role)} replace />;
  return <>{children}</>;
}

function Home() {
  const { user, status } = useAuth();
  if (status === "loading") return <Loading />;
  return <Navigate to={user ? homeOf(user.role) : "/login"} replace />;
}

const ANY: Role[] = ["family", "caregiver", "agency_admin", "platform_admin"];
const ADMINS: Role[] = ["agency_admin", "platform_admin"];

export function AppRoutes() {
  const guarded = (roles: Role[], page: React.ReactNode) => (
    <RequireRole roles={roles}>{page}</RequireRole>
  );
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route element={<Layout />}>
          <Route path="/" element={<Home />} />
          <Route path="/notifications" element={guarded(ANY, <NotificationsPage />)} />
          <Route path="/messages" element={guarded(ANY, <ThreadsPage />)} />
          <Route path="/messages/:bookingId" element={guarded(ANY, <ThreadPage />)} />
          <Route path="/family/recipients" element={guarded(["family"], <RecipientsPage />)} />
          <Route path="/family/caregivers" element={guarded(["family"], <CaregiversPage />)} />
          <Route path="/family/care-requests" element={guarded(["family"], <CareRequestsPage />)} />
          <Route
            path="/family/care-requests/:requestId"
            element={guarded(["family"], <CareRequestDetailPage />)}
          />
          <Route path="/family/bookings" element={guarded(["family"], <BookingsPage />)} />
          <Route
            path="/family/bookings/:bookingId"
            element={guarded(["family"], <BookingDetailPage />)}
          />
          {/* Toss's payment window returns here (successUrl / failUrl on our own origin). */}
          <Route path="/family/pay/success" element={guarded(["family"], <PaySuccessPage />)} />
          <Route path="/family/pay/fail" element={guarded(["family"], <PayFailPage />)} />
          <Route path="/caregiver/profile" element={guarded(["caregiver"], <ProfilePage />)} />
          <Route
            path="/caregiver/availability"
            element={guarded(["caregiver"], <AvailabilityPage />)}
          />
          <Route path="/caregiver/today" element={guarded(["caregiver"], <TodayPage />)} />
          <Route path="/caregiver/statements" element={guarded(["caregiver"], <StatementsPage />)} />
          <Route path="/caregiver/offers" element={guarded(["caregiver"], <OffersPage />)} />
          <Route path="/admin/caregivers" element={guarded(ADMINS, <VerifyPage />)} />
          <Route path="/admin/visit-exceptions" element={guarded(ADMINS, <ExceptionsPage />)} />
          <Route path="/admin/statements" element={guarded(ADMINS, <StatementsPage />)} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App({ styleNonce }: { styleNonce?: string | undefined } = {}) {
  const [tokens] = useState(() => new TokenStore());
  const [api] = useState(() => createApi(tokens));
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { retry: 1, refetchOnWindowFocus: true, staleTime: 15_000 },
        },
      }),
  );
  return (
    // Mantine's theme variables come from static CSS (theme.css), where we fix contrast; the
    // few <style> elements it still creates carry the page's CSP nonce (src/csp.ts).
    <MantineProvider
      theme={theme}
      withCssVariables={false}
      getStyleNonce={styleNonce ? () => styleNonce : undefined}
    >
      <QueryClientProvider client={queryClient}>
        <AuthProvider api={api} tokens={tokens}>
          <LiveEventsProvider>
            <BrowserRouter>
              <AppRoutes />
            </BrowserRouter>
          </LiveEventsProvider>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
