import type { ComponentProps } from "react";
import { clsx } from "clsx";
import { controlClassName } from "@/components/ui/input";

export type TextareaProps = ComponentProps<"textarea"> & {
  invalid?: boolean;
};

export function Textarea({ invalid, className, rows = 3, ...props }: TextareaProps) {
  return (
    <textarea
      rows={rows}
      className={clsx(controlClassName, "min-h-16 py-1.5 leading-5", className)}
      {...props}
      aria-invalid={invalid || props["aria-invalid"] || undefined}
    />
  );
}
