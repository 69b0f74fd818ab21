import { Alert, Button, Card, Rating, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toProblem, unwrap } from "../api/problem";
import { useApi } from "../auth/AuthContext";
import { ProblemAlert } from "./ProblemAlert";

/** The family's review of a completed visit (once), or the review it already has. */
export function ReviewCard({ bookingId }: { bookingId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const path = { params: { path: { booking_id: bookingId } } };
  const [rating, setRating] = useState(5);
  const [body, setBody] = useState("");
  const review = useQuery({
    queryKey: ["bookings", bookingId, "review"],
    queryFn: async () => {
      const result = await api.GET("/v1/bookings/{booking_id}/review", path);
      if (result.response.status === 404) return null; // not reviewed yet
      return unwrap(Promise.resolve(result));
    },
  });
  const send = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/bookings/{booking_id}/review", { ...path, body: { rating, body } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["bookings", bookingId, "review"] }),
  });
  return (
    <Card withBorder component="section" aria-labelledby="review-title">
      <Title order={3} size="h4" id="review-title" mb="xs">
        {t("review.title")}
      </Title>
      {review.data ? (
        <Stack gap="xs" data-testid="review">
          <Rating value={review.data.rating} readOnly aria-label={t("review.stars", { count: review.data.rating })} />
          {review.data.body ? <Text>{review.data.body}</Text> : null}
          {review.data.reply ? (
            <Alert color="gray" title={t("review.reply")}>
              {review.data.reply}
            </Alert>
          ) : null}
        </Stack>
      ) : review.data === null ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            send.mutate();
          }}
        >
          <Stack gap="xs">
            <Text size="sm" id="rating-label">
              {t("review.rating")}
            </Text>
            <Rating value={rating} onChange={setRating} aria-labelledby="rating-label" />
            <Textarea label={t("review.body")} value={body} onChange={(e) => setBody(e.currentTarget.value)} maxLength={2000} />
            <ProblemAlert problem={send.error ? toProblem(send.error) : null} />
            <Button type="submit" loading={send.isPending}>
              {t("review.send")}
            </Button>
          </Stack>
        </form>
      ) : null}
      <ProblemAlert problem={review.error ? toProblem(review.error) : null} />
    </Card>
  );
}
