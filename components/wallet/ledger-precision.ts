/**
 * Decimals of ledger money wherever it appears: entries, the balance after them, a balance shown
 * beside the ledger, and statement figures. One fixed number, so a column's figures line up
 * (calls are charged in fractions of a cent) and the same amount reads the same on every page;
 * Money's tooltip shows the exact micro-unit amount where rounding hides digits. Headline
 * balances (the dashboard, the balance page) use the currency's own decimals instead.
 */
export const LEDGER_PRECISION = 4;
