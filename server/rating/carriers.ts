import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";

export const ZCarrierFields = z.object({
  name: z.string().trim().min(1, "Name is required").max(120),
  status: z.enum(["ACTIVE", "INACTIVE"]).default("ACTIVE"),
  notes: z.string().trim().max(2000).nullable().default(null),
});
export type TCarrierFields = z.input<typeof ZCarrierFields>;

export async function listCarriers(options: { tenantId: string }) {
  return db().carrier.findMany({
    where: { tenantId: options.tenantId },
    orderBy: { name: "asc" },
    select: { id: true, name: true, status: true, notes: true, createdAt: true, decks: { select: { id: true, name: true } } },
  });
}

function nameConflict(error: unknown): never {
  if (isUniqueViolation(error)) throw AppError.invalidField("name", "A carrier with this name exists");
  throw error;
}

export async function saveCarrier(options: { tenantId: string; actor: TActor; carrierId?: string; fields: TCarrierFields }) {
  const fields = ZCarrierFields.parse(options.fields);
  try {
    return await db().$transaction(async (tx) => {
      if (options.carrierId) {
        const existing = await tx.carrier.findFirst({ where: { tenantId: options.tenantId, id: options.carrierId } });
        if (!existing) throw AppError.notFound("Carrier");
      }
      const carrier = options.carrierId
        ? await tx.carrier.update({ where: { tenantId_id: { tenantId: options.tenantId, id: options.carrierId } }, data: fields })
        : await tx.carrier.create({ data: { tenantId: options.tenantId, ...fields } });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: options.carrierId ? "carrier.updated" : "carrier.created",
        targetType: "carrier",
        targetId: carrier.id,
        after: fields,
      });
      return carrier;
    });
  } catch (error) {
    nameConflict(error);
  }
}
