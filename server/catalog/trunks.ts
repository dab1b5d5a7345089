import { isIP } from "node:net";
import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { CLAIM_UNANSWERED_SQL, claimParameters } from "@/server/cdr/unanswered-claims";

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
  const fields = ZTrunkFields.parse(options.fields);
  const customer = await db().customer.findFirst({ where: { tenantId: options.tenantId, id: fields.customerId }, select: { id: true } });
  if (!customer) throw AppError.notFound("Customer");
  if (fields.rateDeckId) {
    const deck = await db().rateDeck.findFirst({ where: { tenantId: options.tenantId, id: fields.rateDeckId }, select: { kind: true } });
    if (!deck || deck.kind !== "SELL") throw AppError.invalidField("rateDeckId", "Choose one of your SELL decks");
  }
  try {
    return await db().$transaction(async (tx) => {
      if (options.trunkId) {
        const existing = await tx.sipTrunk.findFirst({ where: { tenantId: options.tenantId, id: options.trunkId } });
        if (!existing) throw AppError.notFound("Trunk");
      }
      const trunk = options.trunkId
        ? await tx.sipTrunk.update({ where: { id: options.trunkId }, data: fields })
        : await tx.sipTrunk.create({ data: { tenantId: options.tenantId, ...fields } });
      // Unanswered calls that arrived under this code before the trunk did are its customer's.
      await tx.$executeRawUnsafe(
        CLAIM_UNANSWERED_SQL,
        ...claimParameters({ tenantId: options.tenantId, accountCode: trunk.accountCode, customerId: trunk.customerId, trunkId: trunk.id }),
      );
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: options.trunkId ? "trunk.updated" : "trunk.created",
        targetType: "customer",
        targetId: fields.customerId,
        after: { trunkId: trunk.id, ...fields },
      });
      return trunk;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw AppError.invalidField("accountCode", "Another trunk uses this account code");
    throw error;
  }
}
