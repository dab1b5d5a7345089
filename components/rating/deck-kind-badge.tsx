import { Badge } from "@/components/ui/badge";

/** SELL decks price customers (brand); BUY decks are a carrier's cost (info). */
export function DeckKindBadge({ kind }: { kind: string }) {
  return kind === "BUY" ? (
    <Badge tone="info" title="Buy deck: a carrier's cost">
      Buy
    </Badge>
  ) : (
    <Badge tone="brand" title="Sell deck: prices customers">
      Sell
    </Badge>
  );
}
