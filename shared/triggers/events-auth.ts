/**
 * @module triggers/events-auth
 * How each event source proves itself to `/events` (`gantry serve --events-config`, the Lambda's
 * GANTRY_EVENTS_AUTH): a shared token in `Authorization`, an HMAC-SHA256 of the body, or `none`, chosen
 * explicitly (e.g. behind a NetworkPolicy). A source without an entry is refused.
 */
import { z } from 'zod';

export const EVENT_SOURCES = ['knative', 'distribution', 'harbor', 'github', 'ecr', 'cloudevents'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** How one source proves itself. `none` must be chosen explicitly (e.g. behind a NetworkPolicy). */
export const sourceAuthSchema = z.union([
  z.object({ token: z.string().min(16, 'a token needs at least 16 characters') }).strict(),
  z.object({ hmacSecret: z.string().min(16, 'an HMAC secret needs at least 16 characters') }).strict(),
  z.object({ none: z.literal(true) }).strict(),
]);
export type SourceAuth = z.infer<typeof sourceAuthSchema>;
export const eventsAuthSchema = z.partialRecord(z.enum(EVENT_SOURCES), sourceAuthSchema);
export type EventsAuth = z.infer<typeof eventsAuthSchema>;
