import { inlineJson } from "@/components/admin/json-view";
import { ROLE_LABELS } from "@/components/admin/labels";

const ACRONYMS: Record<string, string> = { cdr: "CDR", sip: "SIP", sftp: "SFTP", ip: "IP", id: "ID", did: "DID" };

/** "cdr_source.poll_requested" → "CDR source poll requested": readable, if not as good as a label. */
export function humanise(code: string): string {
  const words = code
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[._\s-]+/)
    .filter(Boolean)
    .map((word) => ACRONYMS[word.toLowerCase()] ?? word.toLowerCase());
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Enum values stored in before/after ("CUSTOMER_USER", "PREPAID", "SUSPENDED"). Single words
// only when known: "USD" or a SIP user "ACME" are data, not codes.
const MULTI_WORD_ENUM = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const ENUM_LABELS: Record<string, string> = {
  ...ROLE_LABELS,
  MANUAL: "By hand",
  BALANCE: "Balance ran out",
  ACTIVE: "Active",
  SUSPENDED: "Suspended",
  LOCKED: "Locked",
  CLOSED: "Closed",
  DISABLED: "Disabled",
  PREPAID: "Prepaid",
  POSTPAID: "Postpaid",
  SELL: "Sell",
  BUY: "Buy",
  LEAVE: "Leave on server",
  MOVE: "Move",
  DELETE: "Delete",
  PASSWORD: "Password",
  KEY: "Key",
};

/** Items of a list named in full before "and N more". */
const LIST_ITEMS = 3;
/** Fields of an object spelled out before "…". */
const OBJECT_FIELDS = 4;

/**
 * Keys whose values are never shown in a summary, should a writer of the audit log ever keep
 * one (the audit keeps "everything but secrets", e.g. a server's `auth` method, not its
 * password). Key names, not values: "auth: password" names a method and is harmless.
 */
const SECRET_KEY = /pass(word|phrase)?$|secret|token|private|credential|api.?key|^key$|Enc$/i;

type TRecord = Record<string, unknown>;

function isRecord(value: unknown): value is TRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | bigint {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" || typeof value === "bigint";
}

/** The keys an item of a list is known by, best first: "host:port", then a name or code. */
const LABEL_KEYS = ["name", "label", "title", "email", "code", "prefix", "accountNumber", "number", "id"] as const;

/** A short name for one item of a list: "127.0.0.1:44019", "Alice's company", else its first plain values. */
export function itemLabel(item: unknown): string {
  if (!isRecord(item)) return scalarText(item);
  const host = item.host ?? item.hostname;
  if (isScalar(host)) return isScalar(item.port) ? `${host}:${item.port}` : String(host);
  for (const key of LABEL_KEYS) {
    const value = item[key];
    if (isScalar(value) && String(value) !== "") return scalarText(value);
  }
  const plain = Object.entries(item)
    .filter(([key, value]) => !SECRET_KEY.test(key) && isScalar(value))
    .slice(0, 2)
    .map(([, value]) => scalarText(value));
  return plain.length > 0 ? plain.join(" ") : "…";
}

function scalarText(value: unknown): string {
  if (typeof value === "string") {
    const label = ENUM_LABELS[value];
    if (label) return label;
    if (MULTI_WORD_ENUM.test(value)) return humanise(value);
    return value;
  }
  return inlineJson(value);
}

/** "server" from "servers", for "1 server". */
function singular(noun: string): string {
  if (/ies$/.test(noun)) return noun.replace(/ies$/, "y");
  if (/(ss|x|ch|sh)es$/.test(noun)) return noun.slice(0, -2);
  return /[^s]s$/.test(noun) ? noun.slice(0, -1) : noun;
}

function listText(items: readonly unknown[], noun: string | null): string {
  if (items.length === 0) return "none";
  const named = items.slice(0, LIST_ITEMS).map(itemLabel);
  const more = items.length > LIST_ITEMS ? ` and ${items.length - LIST_ITEMS} more` : "";
  // Lists of records are counted ("2 servers: …"); plain lists read as they are.
  if (!items.some(isRecord)) return `${named.join(", ")}${more}`;
  const counted = noun ? `${items.length} ${items.length === 1 ? singular(noun) : noun}` : `${items.length} item${items.length === 1 ? "" : "s"}`;
  return `${counted}: ${named.join(", ")}${more}`;
}

function objectText(record: TRecord): string {
  const entries = Object.entries(record).filter(([key]) => !SECRET_KEY.test(key));
  if (entries.length === 0) return "…";
  const shown = entries.slice(0, OBJECT_FIELDS).map(([key, value]) => {
    const text = isScalar(value) || value === null ? scalarText(value) : Array.isArray(value) ? `${value.length} item${value.length === 1 ? "" : "s"}` : "…";
    return `${humanise(key).toLowerCase()} ${text}`;
  });
  return `${shown.join(", ")}${entries.length > OBJECT_FIELDS ? ", …" : ""}`;
}

/**
 * A before/after value of an audit event as people read it, in a line: enum codes as words,
 * lists counted and named by their items ("2 servers: 127.0.0.1:44019, 127.0.0.1:41263"),
 * objects as a few of their fields, secrets (by key name) left out. `key` is the field the
 * value belongs to, used as the noun of a list. The event's dialog keeps the full JSON.
 */
export function readableValue(value: unknown, key?: string): string {
  if (value === undefined) return "∅";
  if (secretKey(key)) return "(hidden)";
  if (Array.isArray(value)) return listText(value, key ? humanise(key).toLowerCase() : null);
  if (isRecord(value)) return objectText(value);
  return scalarText(value);
}

/** Whether a field's value is a secret and stays out of summaries. */
function secretKey(key: string | undefined): boolean {
  return key !== undefined && SECRET_KEY.test(key);
}
