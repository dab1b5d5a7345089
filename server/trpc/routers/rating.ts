import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { ZCarrierFields, listCarriers, saveCarrier } from "@/server/rating/carriers";
import { ZDeckFields, ZRateQuery, assignCustomerDeck, getDeck, listDecks, listRates, saveDeck } from "@/server/rating/decks";
import {
  ZDeckImportChangesQuery,
  commitDeckImport,
  discardDeckImport,
  getDeckImport,
  listDeckImportChanges,
  listDeckImportErrors,
} from "@/server/rating/deck-import";
import { ZPriceCallInput, priceCallTool } from "@/server/rating/price-call";
import { ZTrunkFields, listCustomerTrunks, saveTrunk } from "@/server/catalog/trunks";

const ZImportId = z.object({ importId: z.uuid() });

// Prices are money: changing decks, rates and assignments needs TENANT_ADMIN.
export const ratingRouter = createTRPCRouter({
  carriers: tenantProcedure().query(({ ctx }) => listCarriers({ tenantId: ctx.tenantId })),
  saveCarrier: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ carrierId: z.uuid().optional(), fields: ZCarrierFields }))
    .mutation(({ ctx, input }) => saveCarrier({ tenantId: ctx.tenantId, actor: ctx.actor, carrierId: input.carrierId, fields: input.fields })),
  decks: tenantProcedure()
    .input(z.object({ kind: z.enum(["SELL", "BUY"]).nullable().default(null) }).default({ kind: null }))
    .query(({ ctx, input }) => listDecks({ tenantId: ctx.tenantId, kind: input.kind })),
  deck: tenantProcedure()
    .input(z.object({ deckId: z.uuid() }))
    .query(({ ctx, input }) => getDeck({ tenantId: ctx.tenantId, deckId: input.deckId })),
  saveDeck: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ deckId: z.uuid().optional(), fields: ZDeckFields }))
    .mutation(({ ctx, input }) => saveDeck({ tenantId: ctx.tenantId, actor: ctx.actor, deckId: input.deckId, fields: input.fields })),
  rates: tenantProcedure()
    .input(ZRateQuery)
    .query(({ ctx, input }) => listRates({ tenantId: ctx.tenantId, query: input })),
  import: tenantProcedure()
    .input(ZImportId)
    .query(({ ctx, input }) => getDeckImport({ tenantId: ctx.tenantId, importId: input.importId })),
  importErrors: tenantProcedure()
    .input(ZImportId.extend({ page: z.number().int().min(0).default(0), pageSize: z.number().int().min(1).max(500).default(50) }))
    .query(({ ctx, input }) => listDeckImportErrors({ tenantId: ctx.tenantId, ...input })),
  importChanges: tenantProcedure()
    .input(ZDeckImportChangesQuery)
    .query(({ ctx, input }) => listDeckImportChanges({ tenantId: ctx.tenantId, query: input })),
  commitImport: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZImportId)
    .mutation(({ ctx, input }) => commitDeckImport({ tenantId: ctx.tenantId, actor: ctx.actor, importId: input.importId })),
  discardImport: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZImportId)
    .mutation(({ ctx, input }) => discardDeckImport({ tenantId: ctx.tenantId, actor: ctx.actor, importId: input.importId })),
  priceCall: tenantProcedure()
    .input(ZPriceCallInput)
    .query(({ ctx, input }) => priceCallTool({ tenantId: ctx.tenantId, input })),
  assignCustomerDeck: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ customerId: z.uuid(), deckId: z.uuid().nullable() }))
    .mutation(({ ctx, input }) => assignCustomerDeck({ tenantId: ctx.tenantId, actor: ctx.actor, ...input })),
  trunks: tenantProcedure()
    .input(z.object({ customerId: z.uuid() }))
    .query(({ ctx, input }) => listCustomerTrunks({ tenantId: ctx.tenantId, customerId: input.customerId })),
  saveTrunk: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ trunkId: z.uuid().optional(), fields: ZTrunkFields }))
    .mutation(({ ctx, input }) => saveTrunk({ tenantId: ctx.tenantId, actor: ctx.actor, trunkId: input.trunkId, fields: input.fields })),
});
