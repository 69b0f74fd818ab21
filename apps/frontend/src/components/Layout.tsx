import { AppShell, Badge, Burger, Button, Group, NavLink, Stack, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useTranslation } from "react-i18next";
import { NavLink as RouterNavLink, Outlet, useNavigate } from "react-router";
import { useAuth, type Role } from "../auth/AuthContext";
import { useLiveEvents } from "../events/LiveEvents";
import { LanguageSwitch } from "./LanguageSwitch";

const NAV: Record<Role, { to: string; label: string }[]> = {
  family: [
    { to: "/family/recipients", label: "nav.recipients" },
    { to: "/family/care-requests", label: "nav.careRequests" },
    { to: "/family/bookings", label: "nav.bookings" },
    { to: "/family/caregivers", label: "nav.caregivers" },
    { to: "/messages", label: "nav.messages" },
  ],
  caregiver: [
    { to: "/caregiver/today", label: "nav.today" },
    { to: "/caregiver/offers", label: "nav.offers" },
    { to: "/caregiver/availability", label: "nav.availability" },
    { to: "/caregiver/profile", label: "nav.profile" },
    { to: "/caregiver/statements", label: "nav.statements" },
    { to: "/messages", label: "nav.messages" },
  ],
  agency_admin: [
    { to: "/admin/caregivers", label: "nav.verify" },
    { to: "/admin/visit-exceptions", label: "nav.exceptions" },
    { to: "/admin/statements", label: "nav.statements" },
  ],
  platform_admin: [
    { to: "/admin/caregivers", label: "nav.verify" },
    { to: "/admin/visit-exceptions", label: "nav.exceptions" },
    { to: "/admin/statements", label: "nav.statements" },
  ],
};

export function Layout() {
  const { t } = useTranslation();
  const { user, logout } = useAuth();
  const live = useLiveEvents();
  const navigate = useNavigate();
  const [opened, { toggle, close }] = useDisclosure();
  const links = user ? [...NAV[user.role], { to: "/notifications", label: "nav.notifications" }] : [];

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={t("nav.menu")}
            />
            <Title order={1} size="h4">
              {t("app.name")}
            </Title>
          </Group>
          {user ? (
            <Badge
              variant="light"
              color={live.status === "open" ? "teal" : "gray"}
              data-testid="live-status"
              visibleFrom="xs"
            >
              {t(`live.${live.status}`)}
            </Badge>
          ) : null}
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label={t("nav.main")}>
        <Stack justify="space-between" h="100%">
          <nav>
            {links.map((link) => (
              <NavLink
                key={link.to}
                component={RouterNavLink}
                to={link.to}
                label={t(link.label)}
                onClick={close}
              />
            ))}
          </nav>
          <Stack gap="xs">
            <LanguageSwitch />
            {user ? (
              <Button
                variant="default"
                onClick={() => {
                  void logout().then(() => navigate("/login"));
                }}
              >
                {t("auth.logout")}
              </Button>
            ) : null}
          </Stack>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

export default Layout;
