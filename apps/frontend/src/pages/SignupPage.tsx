import { Anchor, Button, PasswordInput, Radio, Group, Stack, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { z } from "zod";
import { unwrap } from "../api/problem";
import { homeOf, useAuth } from "../auth/AuthContext";
import { AuthCard } from "../components/AuthCard";
import { ProblemAlert } from "../components/ProblemAlert";
import { useSchemaForm } from "../forms";

// The same limits as the API's SignupIn; the server still has the last word.
export const signupSchema = z.object({
  display_name: z.string().trim().min(1, "v.required").max(100, "v.tooLong"),
  email: z.string().trim().min(1, "v.required").pipe(z.email("v.email")),
  password: z.string().min(10, "v.passwordLength").max(128, "v.tooLong"),
  role: z.enum(["family", "caregiver"]),
});

export default function SignupPage() {
  const { t } = useTranslation();
  const { api, login } = useAuth();
  const navigate = useNavigate();
  const form = useSchemaForm(signupSchema, {
    display_name: "",
    email: "",
    password: "",
    role: "family",
  });
  const err = (name: string) => (form.errors[name] ? t(form.errors[name]) : undefined);

  return (
    <AuthCard title={t("auth.signup")}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void form.submit(async (data) => {
            await unwrap(api.POST("/v1/auth/signup", { body: data }));
            const me = await login(data.email, data.password);
            void navigate(homeOf(me.role));
          });
        }}
      >
        <Stack>
          <ProblemAlert problem={form.problem} />
          <Radio.Group
            label={t("auth.role")}
            value={form.values.role}
            onChange={(value) => form.set("role", value)}
          >
            <Group mt="xs">
              <Radio value="family" label={t("role.family")} />
              <Radio value="caregiver" label={t("role.caregiver")} />
            </Group>
          </Radio.Group>
          <TextInput
            label={t("auth.displayName")}
            autoComplete="name"
            required
            value={form.values.display_name}
            onChange={(e) => form.set("display_name", e.currentTarget.value)}
            error={err("display_name")}
          />
          <TextInput
            label={t("auth.email")}
            type="email"
            autoComplete="email"
            required
            value={form.values.email}
            onChange={(e) => form.set("email", e.currentTarget.value)}
            error={err("email")}
          />
          <PasswordInput
            label={t("auth.password")}
            description={t("auth.passwordHint")}
            autoComplete="new-password"
            required
            value={form.values.password}
            onChange={(e) => form.set("password", e.currentTarget.value)}
            error={err("password")}
          />
          <Button type="submit" loading={form.submitting}>
            {t("auth.signup")}
          </Button>
          <Text size="sm">
            {t("auth.haveAccount")}{" "}
            <Anchor component={Link} to="/login">
              {t("auth.login")}
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthCard>
  );
}
