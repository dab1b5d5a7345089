import type { ComponentProps } from "react";
import { clsx } from "clsx";

/** A pulsing placeholder block; size it with classes (`h-4 w-32`). Hidden from assistive tech. */
export function Skeleton({ className, ...props }: ComponentProps<"div">) {
  return (
    <div aria-hidden="true" className={clsx("animate-skeleton rounded bg-slate-200/80", className)} {...props} />
  );
}

export type SkeletonTextProps = {
  lines?: number;
  className?: string;
};

/** A few lines of placeholder text, the last one shorter. */
export function SkeletonText({ lines = 3, className }: SkeletonTextProps) {
  return (
    <div aria-hidden="true" className={clsx("flex flex-col gap-2", className)}>
      {Array.from({ length: lines }, (_, index) => (
        <Skeleton key={index} className={clsx("h-3.5", index === lines - 1 && lines > 1 ? "w-2/3" : "w-full")} />
      ))}
    </div>
  );
}
