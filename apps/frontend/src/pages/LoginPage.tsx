import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useNavigate } from "react-router";
import * as z from "zod/mini";
import { homeOf, useAuth } from "../auth/AuthContext";
import { AuthCard } from "../components/AuthCard";
import { ProblemAlert } from "../components/ProblemAlert";
import { useSchemaForm } from "../forms";

export const loginSchema = z.object({
  email: z.pipe(z.string().check(z.trim(), z.minLength(1, "v.required")), z.email("v.email")),
  password: z.string().check(z.minLength(1, "v.required")),
});

export function LoginPage() {
  const { t } = useTranslation();
  const { login, user } = useAuth();
  const navigate = useNavigate();
  const form = useSchemaForm(loginSchema, { email: "", password: "" });
  if (user) return <Navigate to={homeOf(user.role)} replace />;
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);

  return (
    <AuthCard title={t("auth.login")}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void form.submit(async (data) => {
            const me = await login(data.email, data.password);
            void navigate(homeOf(me.role));
          });
        }}
      >
        <Stack>
          <ProblemAlert problem={form.problem} />
          <TextInput
            label={t("auth.email")}
            type="email"
            autoComplete="username"
            required
            value={form.values.email}
            onChange={(e) => form.set("email", e.currentTarget.value)}
            error={err("email")}
          />
          <PasswordInput
            label={t("auth.password")}
            autoComplete="current-password"
            required
            value={form.values.password}
            onChange={(e) => form.set("password", e.currentTarget.value)}
            error={err("password")}
          />
          <Button type="submit" loading={form.submitting}>
            {t("auth.login")}
          </Button>
          <Text size="sm">
            {t("auth.noAccount")}{" "}
            <Anchor component={Link} to="/signup">
              {t("auth.signup")}
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthCard>
  );
}

export default LoginPage;
