import { Button } from "@/components/ui/button";

/** Resets a list's search and filters; rendered only while there is something to clear. */
export function ClearFiltersButton({ shown, onClear }: { shown: boolean; onClear: () => void }) {
  if (!shown) return null;
  return (
    <Button size="sm" variant="ghost" onClick={onClear}>
      Clear filters
    </Button>
  );
}
