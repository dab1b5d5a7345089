"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, mapFieldErrors, messageOf, type TFieldErrors } from "@/components/trpc/errors";
import { ConnectionTestResult } from "@/components/cdr/sources/connection-test-result";
import { AFTER_DOWNLOAD_OPTIONS, CDR_FORMAT_OPTIONS, type TCdrSource } from "@/components/cdr/sources/types";
import { PlusIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import { MAX_ALERT_EMAILS, invalidAlertEmails } from "@/server/cdr/alert-emails";

type TAuthMethod = "PASSWORD" | "KEY";
type TAfterDownload = "LEAVE" | "MOVE" | "DELETE";
type TFormat = "asterisk" | "freeswitch" | "csv";

type TServerValues = {
  /** React key: stable across reordering, also for servers not saved yet. */
  key: string;
  id?: string;
  host: string;
  port: string;
  username: string;
  authMethod: TAuthMethod;
  password: string;
  privateKey: string;
  hasPassword: boolean;
  hasPrivateKey: boolean;
};

type TValues = {
  name: string;
  format: TFormat;
  timeZone: string;
  remoteDir: string;
  filePattern: string;
  afterDownload: TAfterDownload;
  processedDir: string;
  pollIntervalMinutes: string;
  alertEmails: string;
  costDeckId: string;
  servers: TServerValues[];
};

let keySeed = 0;
function newKey(): string {
  keySeed += 1;
  return `server-${keySeed}`;
}

function emptyServer(): TServerValues {
  return { key: newKey(), host: "", port: "22", username: "", authMethod: "PASSWORD", password: "", privateKey: "", hasPassword: false, hasPrivateKey: false };
}

function initialValues(source: TCdrSource | null): TValues {
  if (!source) {
    return {
      name: "",
      format: "asterisk",
      timeZone: "UTC",
      remoteDir: ".",
      filePattern: "*.csv",
      afterDownload: "LEAVE",
      processedDir: "",
      pollIntervalMinutes: "5",
      alertEmails: "",
      costDeckId: "",
      servers: [emptyServer()],
    };
  }
  return {
    name: source.name,
    format: (CDR_FORMAT_OPTIONS.find((option) => option.value === source.format)?.value ?? "asterisk") as TFormat,
    timeZone: source.timeZone,
    remoteDir: source.remoteDir,
    filePattern: source.filePattern,
    afterDownload: source.afterDownload,
    processedDir: source.processedDir ?? "",
    pollIntervalMinutes: String(source.pollIntervalMinutes),
    alertEmails: source.alertEmails.join("\n"),
    costDeckId: source.costDeckId ?? "",
    servers: source.servers.map((server) => ({
      key: server.id,
      id: server.id,
      host: server.host,
      port: String(server.port),
      username: server.username,
      authMethod: server.authMethod,
      password: "",
      privateKey: "",
      hasPassword: server.hasPassword,
      hasPrivateKey: server.hasPrivateKey,
    })),
  };
}

function emailsOf(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((email) => email.trim())
    .filter((email) => email.length > 0);
}

function validate(values: TValues): TFieldErrors {
  const errors: TFieldErrors = {};
  if (!values.name.trim()) errors.name = ["Name is required"];
  if (!values.timeZone.trim()) errors.timeZone = ["Give an IANA time zone, e.g. UTC or America/Toronto"];
  if (!values.remoteDir.trim()) errors.remoteDir = ['Give a folder ("." is the login folder)'];
  if (!values.filePattern.trim()) errors.filePattern = ["Give a file-name pattern (* for every file)"];
  else if (/[/\\]/.test(values.filePattern)) errors.filePattern = ["A pattern has no folder: use * and ? on the file name"];
  if (values.afterDownload === "MOVE" && !values.processedDir.trim()) errors.processedDir = ["Give the folder processed files are moved to"];
  const interval = Number(values.pollIntervalMinutes);
  if (!Number.isInteger(interval) || interval < 1 || interval > 1440) errors.pollIntervalMinutes = ["Whole minutes, 1 to 1440"];
  // The server's own rule: a looser one let addresses through that the server then refused.
  const emails = emailsOf(values.alertEmails);
  const badEmails = invalidAlertEmails(emails);
  if (badEmails.length > 0) errors.alertEmails = [`Not an email address: ${badEmails.join(", ")}`];
  else if (emails.length > MAX_ALERT_EMAILS) errors.alertEmails = [`At most ${MAX_ALERT_EMAILS} recipients`];
  values.servers.forEach((server, index) => {
    if (!server.host.trim()) errors[`servers.${index}.host`] = ["Host is required"];
    const port = Number(server.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) errors[`servers.${index}.port`] = ["1 to 65535"];
    if (!server.username.trim()) errors[`servers.${index}.username`] = ["Username is required"];
    if (server.authMethod === "PASSWORD" && !server.password && !server.hasPassword) errors[`servers.${index}.password`] = ["Enter the password"];
    if (server.authMethod === "KEY" && !server.privateKey.trim() && !server.hasPrivateKey) errors[`servers.${index}.privateKey`] = ["Paste the private key"];
  });
  return errors;
}

function fieldsOf(values: TValues) {
  return {
    name: values.name.trim(),
    format: values.format,
    timeZone: values.timeZone.trim(),
    remoteDir: values.remoteDir.trim(),
    filePattern: values.filePattern.trim(),
    afterDownload: values.afterDownload,
    processedDir: values.afterDownload === "MOVE" ? values.processedDir.trim() : null,
    pollIntervalMinutes: Number(values.pollIntervalMinutes),
    alertEmails: emailsOf(values.alertEmails),
    costDeckId: values.costDeckId || null,
    servers: values.servers.map((server) => ({
      id: server.id,
      host: server.host.trim(),
      port: Number(server.port),
      username: server.username.trim(),
      authMethod: server.authMethod,
      password: server.authMethod === "PASSWORD" ? server.password : "",
      privateKey: server.authMethod === "KEY" ? server.privateKey : "",
    })),
  };
}

const TOP_FIELDS = ["name", "format", "timeZone", "remoteDir", "filePattern", "afterDownload", "processedDir", "pollIntervalMinutes", "alertEmails", "costDeckId", "servers"];
/** The inputs each server row has: their errors show on them ("servers.0.host"). */
const SERVER_INPUTS = ["host", "port", "username", "password", "privateKey"];

/**
 * Server errors placed on the form: a server row's input by its own key ("fields.servers.0.host"
 * → "servers.0.host"), anything else on the field it belongs to ("fields.alertEmails.2" →
 * "alertEmails", as "Entry 3: …"). `rest`: messages no field shows.
 */
function serverErrors(error: unknown): { inline: TFieldErrors; rest: string[] } {
  const serverInputs: TFieldErrors = {};
  const others: TFieldErrors = {};
  for (const [key, messages] of Object.entries(fieldErrorsOf(error))) {
    const path = key.replace(/^fields\./, "");
    const [field, index, input] = path.split(".");
    if (field === "servers" && index !== undefined && /^\d+$/.test(index) && input !== undefined && SERVER_INPUTS.includes(input)) serverInputs[path] = messages;
    else others[path] = messages;
  }
  const { inline, rest } = mapFieldErrors(others, TOP_FIELDS);
  return { inline: { ...inline, ...serverInputs }, rest };
}

/** What a connection test depends on: the servers, and the folder and pattern it lists. */
function connectionOf(values: TValues): string {
  const fields = fieldsOf(values);
  return JSON.stringify({ remoteDir: fields.remoteDir, filePattern: fields.filePattern, servers: fields.servers });
}

const FIXED_HINT = "Fixed: calls of this source are stored. Files written another way need a new source.";

/**
 * Create (`source` null) or edit a CDR source with its ordered SFTP servers. Secrets are
 * write-only: a stored password or key shows as "stored" and a blank field keeps it (for the
 * same host, port and user only).
 */
export function SourceForm({
  source,
  canEdit,
  onSaved,
}: {
  source: TCdrSource | null;
  canEdit: boolean;
  onSaved: (saved: TCdrSource) => void;
}) {
  const trpc = useTRPC();
  // Once calls of the source are stored, reading its files another way would bill them again.
  const readingFixed = source?.readingFixed ?? false;
  const [values, setValues] = useState<TValues>(() => initialValues(source));
  const [errors, setErrors] = useState<TFieldErrors>({});
  const buyDecks = useQuery(trpc.rating.decks.queryOptions({ kind: "BUY" }));
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []), []);

  const onError = (error: unknown) => {
    const { inline, rest } = serverErrors(error);
    setErrors(inline);
    // Never a failure without a word: what no field shows is toasted.
    if (Object.keys(inline).length === 0) toast.error(messageOf(error));
    else if (rest.length > 0) toast.error(rest.join(" "));
  };
  const create = useMutation(trpc.cdrSources.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.cdrSources.update.mutationOptions({ onSuccess: onSaved, onError }));
  const test = useMutation(trpc.cdrSources.testConnection.mutationOptions({ onError }));
  const saving = create.isPending || update.isPending;
  // The settings the shown test result is of: once they are edited, the result is marked stale.
  const [testedConnection, setTestedConnection] = useState<string | null>(null);

  const set = <K extends keyof TValues>(field: K, value: TValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) setErrors(({ [field]: _removed, ...rest }) => rest);
  };
  const setServer = (index: number, changes: Partial<TServerValues>) => {
    setValues((current) => ({ ...current, servers: current.servers.map((server, at) => (at === index ? { ...server, ...changes } : server)) }));
    const prefix = `servers.${index}.`;
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !(key.startsWith(prefix) && Object.keys(changes).some((field) => key === `${prefix}${field}`)))));
  };
  const moveServer = (index: number, delta: -1 | 1) => {
    setValues((current) => {
      const servers = [...current.servers];
      const [moved] = servers.splice(index, 1);
      if (moved) servers.splice(index + delta, 0, moved);
      return { ...current, servers };
    });
    // Indices changed: per-server messages would point at the wrong row.
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !key.startsWith("servers."))));
  };
  const removeServer = (index: number) => {
    setValues((current) => ({ ...current, servers: current.servers.filter((_, at) => at !== index) }));
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !key.startsWith("servers."))));
  };

  const check = (form: HTMLFormElement | null): boolean => {
    const found = validate(values);
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) {
      form?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return false;
    }
    return true;
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!check(event.currentTarget)) return;
    if (source) update.mutate({ sourceId: source.id, fields: fieldsOf(values) });
    else create.mutate({ fields: fieldsOf(values) });
  };

  const runTest = (form: HTMLFormElement | null) => {
    if (values.servers.length === 0) {
      setErrors({ servers: ["Add an SFTP server to test"] });
      return;
    }
    if (!check(form)) return;
    setTestedConnection(connectionOf(values));
    test.mutate({ sourceId: source?.id ?? null, fields: fieldsOf(values) });
  };

  const deckOptions = (buyDecks.data ?? []).map((deck) => ({ value: deck.id, label: deck.carrier ? `${deck.name} (${deck.carrier.name})` : deck.name }));
  const disabled = !canEdit || saving;

  return (
    <form id="cdr-source-form" onSubmit={submit} noValidate className="flex flex-col gap-4">
      <Card>
        <CardHeader>
          <CardTitle>Source</CardTitle>
          <CardDescription>What the files are and how often to look for them.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
          <FormField label="Name" required error={errors.name}>
            <Input name="name" value={values.name} onChange={(event) => set("name", event.target.value)} maxLength={120} disabled={disabled} placeholder="e.g. Carrier X switch" autoComplete="off" />
          </FormField>
          <FormField label="Format" required error={errors.format} hint={readingFixed ? FIXED_HINT : undefined}>
            <Select name="format" value={values.format} onChange={(event) => set("format", event.target.value as TFormat)} options={CDR_FORMAT_OPTIONS} disabled={disabled || readingFixed} />
          </FormField>
          <FormField label="Time zone of the timestamps" required error={errors.timeZone} hint={readingFixed ? FIXED_HINT : "IANA name, e.g. UTC, America/Toronto"}>
            <Input name="timeZone" list="cdr-source-zones" value={values.timeZone} onChange={(event) => set("timeZone", event.target.value)} disabled={disabled || readingFixed} autoComplete="off" />
          </FormField>
          <FormField label="Remote folder" required error={errors.remoteDir} hint='"." is the login folder'>
            <Input name="remoteDir" value={values.remoteDir} onChange={(event) => set("remoteDir", event.target.value)} disabled={disabled} className="font-mono" />
          </FormField>
          <FormField label="File-name pattern" required error={errors.filePattern} hint="* and ? wildcards, e.g. Master-*.csv">
            <Input name="filePattern" value={values.filePattern} onChange={(event) => set("filePattern", event.target.value)} disabled={disabled} className="font-mono" />
          </FormField>
          <FormField label="Poll every (minutes)" required error={errors.pollIntervalMinutes}>
            <Input name="pollIntervalMinutes" type="number" min={1} max={1440} value={values.pollIntervalMinutes} onChange={(event) => set("pollIntervalMinutes", event.target.value)} disabled={disabled} />
          </FormField>
          <FormField label="After a file is downloaded" required error={errors.afterDownload} hint="Only once the file is safely recorded here.">
            <Select name="afterDownload" value={values.afterDownload} onChange={(event) => set("afterDownload", event.target.value as TAfterDownload)} options={AFTER_DOWNLOAD_OPTIONS} disabled={disabled} />
          </FormField>
          {values.afterDownload === "MOVE" ? (
            <FormField label="Processed folder" required error={errors.processedDir} hint="Created on the server if missing.">
              <Input name="processedDir" value={values.processedDir} onChange={(event) => set("processedDir", event.target.value)} disabled={disabled} className="font-mono" placeholder="processed" />
            </FormField>
          ) : null}
          <FormField label="Cost deck" optional error={errors.costDeckId} hint="A BUY deck: prices each call's cost, so calls show their margin.">
            <Select name="costDeckId" value={values.costDeckId} onChange={(event) => set("costDeckId", event.target.value)} options={deckOptions} placeholder="No cost deck" disabled={disabled} />
          </FormField>
          <FormField
            label="Alert recipients"
            optional
            error={errors.alertEmails}
            hint="One per line. Mailed once when a server goes down and once when it recovers, and when a poll brings a file that is held for review. Empty: your tenant admins get the alerts."
            className="md:col-span-2 xl:col-span-1"
          >
            <Textarea name="alertEmails" rows={3} value={values.alertEmails} onChange={(event) => set("alertEmails", event.target.value)} disabled={disabled} placeholder="noc@example.com" />
          </FormField>
          <datalist id="cdr-source-zones">
            {zones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </CardContent>
      </Card>

      <Card>
        <CardHeader
          actions={
            canEdit ? (
              <Button size="sm" onClick={() => setValues((current) => ({ ...current, servers: [...current.servers, emptyServer()] }))} disabled={disabled || values.servers.length >= 10}>
                <PlusIcon />
                Add server
              </Button>
            ) : null
          }
        >
          <CardTitle>SFTP servers</CardTitle>
          <CardDescription>Tried in this order: when one is refused, rejects the login or times out, the next takes over. None: the source takes uploads only.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-3">
          {errors.servers ? <p className="text-sm text-danger-700">{errors.servers.join(" ")}</p> : null}
          {values.servers.length === 0 ? <p className="text-sm text-slate-500">No servers: files arrive by upload only, and polling stays off.</p> : null}
          {values.servers.map((server, index) => (
            <fieldset key={server.key} className="rounded-md border border-slate-200 p-3" aria-label={`Server ${index + 1}`}>
              <div className="mb-2 flex items-center justify-between gap-2">
                <legend className="text-xs font-semibold text-slate-700">
                  {index === 0 ? "1. Primary" : `${index + 1}. Fallback`}
                </legend>
                {canEdit ? (
                  <div className="flex gap-1">
                    <Button size="sm" variant="ghost" onClick={() => moveServer(index, -1)} disabled={disabled || index === 0} aria-label={`Move server ${index + 1} up`}>
                      ↑
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => moveServer(index, 1)} disabled={disabled || index === values.servers.length - 1} aria-label={`Move server ${index + 1} down`}>
                      ↓
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => removeServer(index)} disabled={disabled} aria-label={`Remove server ${index + 1}`}>
                      Remove
                    </Button>
                  </div>
                ) : null}
              </div>
              <div className="grid gap-3 md:grid-cols-[2fr_6rem_1.2fr_10rem_2fr]">
                <FormField label="Host" required error={errors[`servers.${index}.host`]}>
                  <Input name={`servers.${index}.host`} value={server.host} onChange={(event) => setServer(index, { host: event.target.value })} disabled={disabled} className="font-mono" placeholder="sftp.carrier.com" autoComplete="off" />
                </FormField>
                <FormField label="Port" required error={errors[`servers.${index}.port`]}>
                  <Input name={`servers.${index}.port`} type="number" min={1} max={65535} value={server.port} onChange={(event) => setServer(index, { port: event.target.value })} disabled={disabled} />
                </FormField>
                <FormField label="Username" required error={errors[`servers.${index}.username`]}>
                  <Input name={`servers.${index}.username`} value={server.username} onChange={(event) => setServer(index, { username: event.target.value })} disabled={disabled} autoComplete="off" />
                </FormField>
                <FormField label="Sign in with">
                  <Select
                    name={`servers.${index}.authMethod`}
                    value={server.authMethod}
                    onChange={(event) => setServer(index, { authMethod: event.target.value === "KEY" ? "KEY" : "PASSWORD" })}
                    options={[
                      { value: "PASSWORD", label: "Password" },
                      { value: "KEY", label: "Private key" },
                    ]}
                    disabled={disabled}
                  />
                </FormField>
                {server.authMethod === "PASSWORD" ? (
                  <FormField label="Password" required={!server.hasPassword} error={errors[`servers.${index}.password`]} hint={server.hasPassword ? "Stored; leave blank to keep it for this host, port and user." : undefined}>
                    <Input
                      name={`servers.${index}.password`}
                      type="password"
                      value={server.password}
                      onChange={(event) => setServer(index, { password: event.target.value })}
                      disabled={disabled}
                      autoComplete="new-password"
                      placeholder={server.hasPassword ? "••••••••" : undefined}
                    />
                  </FormField>
                ) : (
                  <FormField label="Private key" required={!server.hasPrivateKey} error={errors[`servers.${index}.privateKey`]} hint={server.hasPrivateKey ? "Stored; leave blank to keep it for this host, port and user." : "Unencrypted OpenSSH or PEM key."}>
                    <Textarea
                      name={`servers.${index}.privateKey`}
                      rows={2}
                      value={server.privateKey}
                      onChange={(event) => setServer(index, { privateKey: event.target.value })}
                      disabled={disabled}
                      className="font-mono text-xs"
                      placeholder={server.hasPrivateKey ? "(stored)" : "-----BEGIN OPENSSH PRIVATE KEY-----"}
                    />
                  </FormField>
                )}
              </div>
            </fieldset>
          ))}
        </CardContent>
        {canEdit ? (
          <CardFooter className="flex flex-wrap items-center justify-end gap-2">
            <Button onClick={(event) => runTest(event.currentTarget.form)} loading={test.isPending} disabled={saving}>
              Test connection
            </Button>
            <Button type="submit" variant="primary" loading={saving}>
              {source ? "Save changes" : "Create source"}
            </Button>
          </CardFooter>
        ) : null}
      </Card>

      {test.data ? <ConnectionTestResult result={test.data} stale={testedConnection !== connectionOf(values)} /> : null}
    </form>
  );
}
