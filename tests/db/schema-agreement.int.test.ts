import { readFileSync } from "node:fs";
import path from "node:path";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * schema.prisma is the source of the client's types; the SQL migrations build the real
 * database. This proves they agree: tables, columns (type and nullability), enums, and every
 * @id/@unique/@@unique/@@index — in both directions, so neither side can drift alone.
 */

type TField = {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object" | "unsupported";
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType?: [string, string[]] | null;
};
type TModel = { name: string; dbName: string | null; fields: TField[] };
type TIndex = { model: string; type: "id" | "unique" | "normal" | "fulltext"; fields: { name: string }[] };
type TDmmf = { datamodel: { models: TModel[]; enums: { name: string; values: { name: string }[] }[]; indexes: TIndex[] } };

const schema = readFileSync(path.resolve(import.meta.dirname, "../../prisma/schema.prisma"), "utf8");
const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schema]] }))) as TDmmf;

// Tables and indexes that exist only in SQL on purpose (Prisma cannot express partial
// indexes); each needs a reason.
const SQL_ONLY_TABLES = new Set<string>(["_prisma_migrations"]);
const SQL_ONLY_INDEXES = new Set<string>([
  "payments_one_pending_auto_recharge", // one auto-recharge in flight per customer
  "payments_pending_by_tenant", // reconciliation reads only PENDING payments (a WHERE)
  "payment_methods_one_default", // one default card per customer
  "cdr_source_outages_one_open", // one open outage per server / per source
  "cdr_source_monitoring_one_open", // one open monitoring period per source
  "cdr_source_servers_live_position", // one live server per position (removed ones keep theirs)
  "cdr_files_one_accepted_per_content", // content billed once per source
  "cdr_files_unsent_ingest_event", // the few files whose ingest event the sweep must send again
  "cdr_files_needing_attention", // the held and failed files the overview and the menu count
  "cdr_files_in_flight", // the files the stalled-ingest sweep looks at
  "cdrs_unbillable", // the unbillable queue
  "cdrs_ownerless_unanswered", // unanswered calls waiting for their account's customer
  "cdrs_callee_by_day", // an expression and INCLUDE columns, which Prisma's schema cannot state
  "sip_trunks_tenant_id_lower_account_code_key", // account codes unique regardless of case (an expression)
  "account_code_mappings_tenant_id_lower_account_code_key", // the same for mapped codes
]);

function expectedSqlType(field: TField): string {
  const native = field.nativeType?.[0];
  const args = field.nativeType?.[1] ?? [];
  if (field.kind === "enum") return field.type;
  switch (native) {
    case "Uuid":
      return "uuid";
    case "Char":
      return `character(${args[0] ?? 1})`;
    case "VarChar":
      return args[0] ? `character varying(${args[0]})` : "character varying";
    case "Timestamptz":
      return `timestamp(${args[0] ?? 6}) with time zone`;
    case "Timestamp":
      return `timestamp(${args[0] ?? 6}) without time zone`;
    case "Date":
      return "date";
    case "SmallInt":
      return "smallint";
    case "Text":
      return "text";
    case "Decimal":
      return args.length ? `numeric(${args.join(",")})` : "numeric";
    default:
      break;
  }
  const byType: Record<string, string> = {
    String: "text",
    Int: "integer",
    BigInt: "bigint",
    Boolean: "boolean",
    DateTime: "timestamp(3) without time zone",
    Json: "jsonb",
    Float: "double precision",
    Decimal: "numeric(65,30)",
    Bytes: "bytea",
  };
  const sqlType = byType[field.type];
  if (!sqlType) throw new Error(`no SQL type known for ${field.type}`);
  return sqlType;
}

type TColumn = { table_name: string; column_name: string; type: string; udt_name: string; is_nullable: "YES" | "NO" };
type TIndexRow = { table_name: string; index_name: string; is_unique: boolean; is_primary: boolean; columns: string[]; is_partial: boolean };

let client: pg.Client;
let columns: TColumn[];
let indexes: TIndexRow[];
let tables: string[];

beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  tables = (
    await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r','p') AND NOT c.relispartition`,
    )
  ).rows.map((row) => row.relname);
  columns = (
    await client.query<TColumn>(
      `SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) AS type, c.udt_name, c.is_nullable
       FROM information_schema.columns c
       JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
       WHERE c.table_schema = 'public'`,
    )
  ).rows;
  indexes = (
    await client.query<TIndexRow>(
      `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
              ix.indpred IS NOT NULL AS is_partial,
              ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'public' AND NOT t.relispartition`,
    )
  ).rows;
});

afterAll(async () => {
  await client.end();
});

function tableOf(model: TModel): string {
  return model.dbName ?? model.name;
}

function columnOf(model: TModel, fieldName: string): string {
  const field = model.fields.find((candidate) => candidate.name === fieldName);
  if (!field) throw new Error(`${model.name}.${fieldName} is not a field`);
  return field.dbName ?? field.name;
}

describe("schema.prisma and the migrated database agree", () => {
  it("has a table for every model and a model for every table", () => {
    const modelTables = dmmf.datamodel.models.map(tableOf).sort();
    const sqlTables = tables.filter((table) => !SQL_ONLY_TABLES.has(table)).sort();
    expect(sqlTables).toEqual(modelTables);
  });

  it("has every field as a column of the same type and nullability, and no extra columns", () => {
    const problems: string[] = [];
    for (const model of dmmf.datamodel.models) {
      const table = tableOf(model);
      const scalarFields = model.fields.filter((field) => field.kind === "scalar" || field.kind === "enum");
      const tableColumns = columns.filter((column) => column.table_name === table);
      for (const field of scalarFields) {
        const name = field.dbName ?? field.name;
        const column = tableColumns.find((candidate) => candidate.column_name === name);
        if (!column) {
          problems.push(`${table}.${name} (${model.name}.${field.name}) is missing`);
          continue;
        }
        const actual = column.type.replace(/^"(.*)"$/, "$1");
        const expected = field.isList ? `${expectedSqlType(field)}[]` : expectedSqlType(field);
        if (actual !== expected) problems.push(`${table}.${name} is ${actual}, schema says ${expected}`);
        const nullable = column.is_nullable === "YES";
        if (nullable === field.isRequired && !field.isList) {
          problems.push(`${table}.${name} is ${nullable ? "nullable" : "NOT NULL"}, schema says ${field.isRequired ? "required" : "optional"}`);
        }
      }
      for (const column of tableColumns) {
        if (!scalarFields.some((field) => (field.dbName ?? field.name) === column.column_name)) {
          problems.push(`${table}.${column.column_name} exists in SQL but not in schema.prisma`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("has every enum with the same values", async () => {
    const rows = (
      await client.query<{ typname: string; labels: string[] }>(
        `SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
      )
    ).rows;
    const sqlEnums = Object.fromEntries(rows.map((row) => [row.typname, row.labels]));
    const schemaEnums = Object.fromEntries(dmmf.datamodel.enums.map((item) => [item.name, item.values.map((value) => value.name)]));
    expect(sqlEnums).toEqual(schemaEnums);
  });

  it("has every @id, @unique, @@unique and @@index, and no undeclared index", () => {
    const problems: string[] = [];
    const matched = new Set<string>();
    for (const index of dmmf.datamodel.indexes) {
      const model = dmmf.datamodel.models.find((candidate) => candidate.name === index.model);
      if (!model) continue;
      const table = tableOf(model);
      const wanted = index.fields.map((field) => columnOf(model, field.name));
      const found = indexes.find(
        (row) =>
          row.table_name === table &&
          !row.is_partial &&
          row.columns.join(",") === wanted.join(",") &&
          (index.type === "id" ? row.is_primary : index.type === "unique" ? row.is_unique && !row.is_primary : !row.is_unique),
      );
      if (found) matched.add(found.index_name);
      else problems.push(`${index.type} index on ${table}(${wanted.join(", ")}) is missing`);
    }
    for (const row of indexes) {
      const table = row.table_name;
      if (SQL_ONLY_TABLES.has(table) || SQL_ONLY_INDEXES.has(row.index_name) || matched.has(row.index_name)) continue;
      problems.push(`index ${row.index_name} on ${table}(${row.columns.join(", ")}) is not declared in schema.prisma`);
    }
    expect(problems).toEqual([]);
  });
});
