import { useId, type ComponentProps, type ReactNode } from "react";
import { clsx } from "clsx";

export type CheckboxProps = Omit<ComponentProps<"input">, "type"> & {
  /** Visible label; omit it and pass `aria-label` for a bare checkbox (e.g. row selection). */
  label?: ReactNode;
  /** Secondary text under the label, linked with aria-describedby. */
  description?: ReactNode;
  invalid?: boolean;
};

const boxClassName =
  "size-4 shrink-0 rounded border-slate-300 accent-brand-600 disabled:cursor-not-allowed disabled:opacity-50 " +
  "aria-invalid:outline aria-invalid:outline-danger-500";

export function Checkbox({ label, description, invalid, id, className, ...props }: CheckboxProps) {
  const generatedId = useId();
  const inputId = id ?? generatedId;
  const descriptionId = description ? `${inputId}-description` : undefined;
  const describedBy = clsx(props["aria-describedby"], descriptionId) || undefined;

  const input = (
    <input
      type="checkbox"
      id={inputId}
      {...props}
      aria-invalid={invalid || props["aria-invalid"] || undefined}
      aria-describedby={describedBy}
      className={clsx(boxClassName, !label && className)}
    />
  );

  if (!label) return input;

  return (
    <div className={clsx("flex items-start gap-2", className)}>
      <span className="flex h-5 items-center">{input}</span>
      <span className="min-w-0">
        <label htmlFor={inputId} className="block text-sm leading-5 font-medium text-slate-800">
          {label}
        </label>
        {description ? (
          <span id={descriptionId} className="block text-xs leading-4 text-slate-500">
            {description}
          </span>
        ) : null}
      </span>
    </div>
  );
}
