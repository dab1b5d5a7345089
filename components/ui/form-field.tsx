import { cloneElement, isValidElement, useId, type ReactElement, type ReactNode } from "react";
import { clsx } from "clsx";

/** What FormField passes to its control. */
export type FormFieldControlProps = {
  id: string;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
  "aria-required"?: true;
};

export type FormFieldProps = {
  label: ReactNode;
  /** The control's id; generated when omitted (an `id` on the child element wins too). */
  id?: string;
  /** Help text under the control. */
  hint?: ReactNode;
  /** Inline error; an array shows each message. Empty/undefined means valid. */
  error?: string | readonly string[] | null;
  /** Shows a "required" marker and sets aria-required on the control. */
  required?: boolean;
  /** Shows a muted "Optional" marker instead. */
  optional?: boolean;
  /** Something at the right of the label row, e.g. a "Generate" link. */
  labelAside?: ReactNode;
  className?: string;
  /**
   * One control element (Input, Select, Textarea, native elements…), which receives `id`,
   * `aria-invalid` and `aria-describedby`; or a render function for composite controls:
   * `{(p) => <MyPicker inputId={p.id} {...} />}`.
   */
  children: ReactElement<{ id?: string; "aria-describedby"?: string }> | ((control: FormFieldControlProps) => ReactNode);
};

function errorList(error: FormFieldProps["error"]): readonly string[] {
  if (!error) return [];
  return typeof error === "string" ? [error] : error.filter((message) => message.length > 0);
}

export function FormField({
  label,
  id,
  hint,
  error,
  required,
  optional,
  labelAside,
  className,
  children,
}: FormFieldProps) {
  const generatedId = useId();
  const childId = typeof children !== "function" && isValidElement(children) ? children.props.id : undefined;
  const controlId = id ?? childId ?? generatedId;
  const hintId = hint ? `${controlId}-hint` : undefined;
  const errors = errorList(error);
  const errorId = errors.length > 0 ? `${controlId}-error` : undefined;

  const existingDescribedBy =
    typeof children !== "function" && isValidElement(children) ? children.props["aria-describedby"] : undefined;
  // Only set keys that carry a value, so an explicit `undefined` never erases a prop the
  // control already had (e.g. `<Input invalid />`).
  const controlProps: FormFieldControlProps = { id: controlId };
  const describedBy = clsx(existingDescribedBy, hintId, errorId);
  if (describedBy) controlProps["aria-describedby"] = describedBy;
  if (errorId) controlProps["aria-invalid"] = true;
  if (required) controlProps["aria-required"] = true;

  const control = typeof children === "function" ? children(controlProps) : cloneElement(children, controlProps);

  return (
    <div className={clsx("flex flex-col gap-1", className)}>
      <div className="flex items-baseline justify-between gap-2">
        <label htmlFor={controlId} className="text-sm font-medium text-slate-800">
          {label}
          {required ? (
            <span className="ml-0.5 text-danger-600" aria-hidden="true">
              *
            </span>
          ) : null}
          {optional && !required ? <span className="ml-1.5 text-xs font-normal text-slate-500">Optional</span> : null}
        </label>
        {labelAside ? <div className="text-xs">{labelAside}</div> : null}
      </div>
      {control}
      {hint ? (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      {errorId ? (
        <div id={errorId} className="flex flex-col gap-0.5 text-xs font-medium text-danger-700">
          {errors.map((message, index) => (
            <p key={`${index}:${message}`} className="flex items-start gap-1">
              <svg
                className="mt-px size-3.5 shrink-0"
                viewBox="0 0 20 20"
                fill="currentColor"
                aria-hidden="true"
              >
                <path
                  fillRule="evenodd"
                  d="M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-8-5a.75.75 0 0 1 .75.75v4.5a.75.75 0 0 1-1.5 0v-4.5A.75.75 0 0 1 10 5Zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z"
                  clipRule="evenodd"
                />
              </svg>
              <span>{message}</span>
            </p>
          ))}
        </div>
      ) : null}
    </div>
  );
}
