import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";

/** What the rating procedures return, as the browser sees them (superjson keeps Date and BigInt). */
type TRatingOutputs = inferRouterOutputs<AppRouter>["rating"];

export type TCarrierRow = TRatingOutputs["carriers"][number];
export type TDeckRow = TRatingOutputs["decks"][number];
export type TDeck = TRatingOutputs["deck"];
export type TRatePage = TRatingOutputs["rates"];
export type TRateRow = TRatePage["rows"][number];
export type TDeckImport = TRatingOutputs["import"];
export type TImportErrorRow = TRatingOutputs["importErrors"]["rows"][number];
export type TCommitResult = TRatingOutputs["commitImport"];
export type TPriceCallResult = TRatingOutputs["priceCall"];
export type TTrunkRow = TRatingOutputs["trunks"][number];
