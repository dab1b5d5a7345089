import { isIP } from "node:net";
import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { CLAIM_UNANSWERED_SQL, claimParameters } from "@/server/cdr/unanswered-claims";
import { codeAsFound, lockAccountCode, mappingOfCode, trunkWithCode } from "./account-codes";

/** An address or a CIDR block, IPv4 or IPv6. */
function isAclEntry(value: string): boolean {
  const [address, bits, extra] = value.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128);
}

export const ZTrunkFields = z.object({
  customerId: z.uuid(),
  name: z.string().trim().min(1, "Name is required").max(120),
  accountCode: z
    .string()
    .trim()
    .min(1, "Account code is required")
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, "Use letters, digits, dot, dash or underscore"),
  status: z.enum(["ACTIVE", "DISABLED"]).default("ACTIVE"),
  rateDeckId: z.uuid().nullable().default(null),
  techPrefix: z
    .string()
    .trim()
    .max(16)
    .regex(/^[0-9#*]*$/, "Use digits, # or *")
    .transform((value) => (value === "" ? null : value))
    .nullable()
    .default(null),
  channelLimit: z.number().int().min(1).max(100_000).default(10),
  cpsLimit: z.number().int().min(1).max(10_000).default(5),
  ipAcl: z
    .array(z.string().trim().refine(isAclEntry, "Enter an IP address or CIDR block, e.g. 203.0.113.10/32"))
    .max(64)
    .default([]),
});
export type TTrunkFields = z.input<typeof ZTrunkFields>;

export async function listCustomerTrunks(options: { tenantId: string; customerId: string }) {
  return db().sipTrunk.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId },
    orderBy: { name: "asc" },
    include: { rateDeck: { select: { id: true, name: true } } },
  });
}

export async function saveTrunk(options: { tenantId: string; actor: TActor; trunkId?: string; fields: TTrunkFields }) {
  const { tenantId } = options;
  const fields = ZTrunkFields.parse(options.fields);
  if (fields.rateDeckId) {
    const deck = await db().rateDeck.findFirst({ where: { tenantId, id: fields.rateDeckId }, select: { kind: true } });
    if (!deck || deck.kind !== "SELL") throw AppError.invalidField("rateDeckId", "Choose one of your SELL decks");
  }
  try {
    return await db().$transaction(async (tx) => {
      await lockAccountCode(tx, tenantId, fields.accountCode);
      // Shared, so closing the customer (which disables its trunks) waits for this save or this save for it.
      const [customer] = await tx.$queryRaw<{ name: string; status: string }[]>`
        SELECT name, status::text AS status FROM customers WHERE tenant_id = ${tenantId}::uuid AND id = ${fields.customerId}::uuid FOR SHARE`;
      if (!customer) throw AppError.notFound("Customer");
      if (options.trunkId) {
        const before = await tx.sipTrunk.findFirst({ where: { tenantId, id: options.trunkId }, select: { customerId: true } });
        if (!before) throw AppError.notFound("Trunk");
        // Its calls, DIDs and audit trail are the first customer's; moving it would re-rate them to the new one.
        if (before.customerId !== fields.customerId) {
          throw AppError.invalidField("customerId", "A trunk cannot move to another customer; create a new one");
        }
      }
      if (customer.status === "CLOSED") {
        if (!options.trunkId) throw AppError.invalidField("customerId", `${customer.name} is closed: it cannot have a new trunk.`);
        if (fields.status === "ACTIVE") {
          throw AppError.invalidField("status", `${customer.name} is closed: its trunks stay disabled.`);
        }
      }
      const sameCode = await trunkWithCode(tx, tenantId, fields.accountCode);
      if (sameCode && sameCode.id !== options.trunkId) {
        throw AppError.invalidField(
          "accountCode",
          `Account code ${codeAsFound(fields.accountCode, sameCode.accountCode)} is the code of trunk "${sameCode.name}" of ${sameCode.customerName}.`,
        );
      }
      const mapping = await mappingOfCode(tx, tenantId, fields.accountCode);
      if (mapping && mapping.customerId !== fields.customerId) {
        throw AppError.invalidField(
          "accountCode",
          `Account code ${codeAsFound(fields.accountCode, mapping.accountCode)} is mapped to ${mapping.customerName}: its calls are that customer's.`,
        );
      }
      // Mapped to this very customer: the trunk carries the code from now on, and one code has one holder.
      if (mapping) await tx.accountCodeMapping.deleteMany({ where: { tenantId, id: mapping.id } });
      const trunk = options.trunkId
        ? await tx.sipTrunk.update({ where: { id: options.trunkId }, data: fields })
        : await tx.sipTrunk.create({ data: { tenantId, ...fields } });
      // Unanswered calls that arrived under this code before the trunk did are its customer's.
      await tx.$executeRawUnsafe(
        CLAIM_UNANSWERED_SQL,
        ...claimParameters({ tenantId, accountCode: trunk.accountCode, customerId: trunk.customerId, trunkId: trunk.id }),
      );
      await recordAudit(tx, {
        tenantId,
        actor: options.actor,
        action: options.trunkId ? "trunk.updated" : "trunk.created",
        targetType: "customer",
        targetId: fields.customerId,
        after: { trunkId: trunk.id, ...fields, ...(mapping ? { replacedMapping: mapping.accountCode } : {}) },
      });
      return trunk;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw AppError.invalidField("accountCode", "Another trunk uses this account code");
    throw error;
  }
}
