import { z } from "zod";

export const ZPageInput = z.object({
  page: z.number().int().min(0).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
  search: z.string().trim().max(200).default(""),
  sort: z.object({ id: z.string().max(64), desc: z.boolean() }).nullable().default(null),
});
export type TPageInput = z.infer<typeof ZPageInput>;

export type TPage<TRow> = { rows: TRow[]; total: number; page: number; pageSize: number };

/** Picks a whitelisted sort column; anything else falls back to the default. */
export function sortOrder<TColumn extends string>(
  sort: TPageInput["sort"],
  allowed: readonly TColumn[],
  fallback: { id: TColumn; desc: boolean },
): Record<string, "asc" | "desc"> {
  const chosen = sort && (allowed as readonly string[]).includes(sort.id) ? (sort as { id: TColumn; desc: boolean }) : fallback;
  return { [chosen.id]: chosen.desc ? "desc" : "asc" };
}
