import { readFileSync } from "node:fs";
import path from "node:path";
import PDFDocument from "pdfkit";
import { formatAmount } from "@/server/rating/money";
import type { TStatementSection } from "./statements";
import type { TStatementActivity, TStatementUsage } from "./statement-details";
import { dayLabel, periodLabel } from "./customer-text";

/** What a statement PDF prints: getStatement's result. */
export type TStatementForPdf = {
  period: string;
  periodStart: Date;
  periodEnd: Date;
  generatedAt: Date;
  openingBalance: bigint;
  closingBalance: bigint;
  sections: TStatementSection[];
  activity: TStatementActivity[];
  usage: TStatementUsage;
  customer: { name: string; accountNumber: string };
  tenant: { name: string; currency: string; timeZone: string };
};


// pdfkit's built-in fonts are WinAnsi: a customer called "Łódź Telekom" or "Связь" would print
// as garbage. DejaVu covers Latin, Greek and Cyrillic, and pdfkit embeds only the glyphs used;
// a character it lacks (CJK) prints as an empty box rather than failing the document.
let fonts: { body: Buffer; bold: Buffer } | undefined;

function readFont(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`Statement font ${file} is missing: run npm install in the project root (dejavu-fonts-ttf)`, { cause: error });
  }
}

/**
 * The font files, read once per process. Found from the working directory rather than through
 * require.resolve, which Next.js's bundler rewrites: the app (next start, vitest, scripts)
 * always runs from the project root, where node_modules is. Each path is written out whole so
 * that Next's file tracing lists these two files, not the package's twenty.
 */
function statementFonts(): { body: Buffer; bold: Buffer } {
  fonts ??= {
    body: readFont(path.join(process.cwd(), "node_modules", "dejavu-fonts-ttf", "ttf", "DejaVuSans.ttf")),
    bold: readFont(path.join(process.cwd(), "node_modules", "dejavu-fonts-ttf", "ttf", "DejaVuSans-Bold.ttf")),
  };
  return fonts;
}

/** "06 Oct 2026" in the tenant's zone, the way the portal writes dates. */
function dayIn(timeZone: string): (instant: Date) => string {
  // en-CA writes a calendar day as YYYY-MM-DD, which dayLabel reads.
  const format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  return (instant) => dayLabel(format.format(instant));
}

type TColumn = { label: string; width: number; align?: "left" | "right" };
type TCell = { text: string; bold?: boolean };

const BODY = "Body";
const BOLD = "Bold";
const TABLE_SIZE = 9;
const CELL_GAP = 8;
const MUTED = "#64748b";
const INK = "#0f172a";
const RULE = "#cbd5e1";

/**
 * Tables that break across pages cleanly: a row never splits, and a table continued on a new
 * page repeats its header. Column widths: one column may be 0, taking what the others leave.
 */
class PdfTables {
  constructor(private readonly doc: PDFKit.PDFDocument) {}

  get left(): number {
    return this.doc.page.margins.left;
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** Starts a new page unless `height` more points fit on this one. */
  ensure(height: number): boolean {
    if (this.doc.y + height <= this.bottom()) return false;
    this.doc.addPage();
    return true;
  }

  rule(color = RULE): void {
    this.doc.moveTo(this.left, this.doc.y).lineTo(this.left + this.width, this.doc.y).lineWidth(0.5).strokeColor(color).stroke();
  }

  heading(text: string): void {
    this.ensure(60);
    this.doc.moveDown(1.2);
    this.doc.font(BOLD).fontSize(12).fillColor(INK).text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
  }

  paragraph(text: string, options: { size?: number; color?: string } = {}): void {
    this.doc.font(BODY).fontSize(options.size ?? TABLE_SIZE);
    const height = this.doc.heightOfString(text, { width: this.width });
    this.ensure(height);
    this.doc.fillColor(options.color ?? MUTED).text(text, this.left, this.doc.y, { width: this.width });
    this.doc.fillColor(INK);
  }

  private widths(columns: readonly TColumn[]): number[] {
    const fixed = columns.reduce((sum, column) => sum + column.width, 0);
    return columns.map((column) => (column.width === 0 ? this.width - fixed : column.width));
  }

  private rowHeight(columns: readonly TColumn[], cells: readonly TCell[]): number {
    const widths = this.widths(columns);
    let height = 0;
    cells.forEach((cell, index) => {
      this.doc.font(cell.bold ? BOLD : BODY).fontSize(TABLE_SIZE);
      height = Math.max(height, this.doc.heightOfString(cell.text || " ", { width: widths[index]! - CELL_GAP }));
    });
    return height + 5;
  }

  private drawRow(columns: readonly TColumn[], cells: readonly TCell[], height: number, color = INK): void {
    const widths = this.widths(columns);
    const top = this.doc.y;
    let x = this.left;
    cells.forEach((cell, index) => {
      const column = columns[index]!;
      const width = widths[index]! - CELL_GAP;
      const align = column.align ?? "left";
      this.doc
        .font(cell.bold ? BOLD : BODY)
        .fontSize(TABLE_SIZE)
        .fillColor(color)
        .text(cell.text, align === "right" ? x + CELL_GAP : x, top, { width, align });
      x += widths[index]!;
    });
    this.doc.fillColor(INK);
    this.doc.y = top + height;
    this.doc.x = this.left;
  }

  private header(columns: readonly TColumn[]): void {
    const cells = columns.map((column) => ({ text: column.label, bold: true }));
    this.drawRow(columns, cells, this.rowHeight(columns, cells), MUTED);
    this.rule();
    this.doc.y += 3;
  }

  /** A whole table; `title` is repeated, marked continued, over its header on each new page. */
  table(title: string, columns: readonly TColumn[], rows: readonly TCell[][]): void {
    const headerCells = columns.map((column) => ({ text: column.label, bold: true }));
    const headerHeight = this.rowHeight(columns, headerCells) + 4;
    const first = rows[0];
    this.ensure(headerHeight + (first ? this.rowHeight(columns, first) : 0));
    this.header(columns);
    for (const cells of rows) {
      const height = this.rowHeight(columns, cells);
      if (this.ensure(height + headerHeight + 16)) {
        this.doc.font(BOLD).fontSize(10).fillColor(INK).text(`${title} (continued)`, this.left, this.doc.y, { width: this.width });
        this.doc.moveDown(0.4);
        this.header(columns);
      }
      this.drawRow(columns, cells, height);
    }
  }

  /**
   * Writes the footer into every page's bottom margin, once all pages exist (so "of N" is
   * known). The margin is lifted while writing: pdfkit would otherwise start a new page for
   * text below it.
   */
  footers(text: string): void {
    const range = this.doc.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index++) {
      this.doc.switchToPage(index);
      const bottom = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      const y = this.doc.page.height - bottom + 18;
      this.doc.moveTo(this.left, y - 6).lineTo(this.left + this.width, y - 6).lineWidth(0.5).strokeColor(RULE).stroke();
      this.doc.font(BODY).fontSize(8).fillColor(MUTED);
      this.doc.text(text, this.left, y, { width: this.width - 90, lineBreak: false, ellipsis: true });
      this.doc.text(`Page ${index - range.start + 1} of ${range.count}`, this.left + this.width - 90, y, { width: 90, align: "right", lineBreak: false });
      this.doc.page.margins.bottom = bottom;
    }
  }
}

/**
 * The statement as a PDF document (a Readable stream; pipe it or wrap it for a Response),
 * written fully before it is returned. Pages are buffered (a few kilobytes each) so that every
 * page's footer can say how many there are.
 */
export function statementPdf(statement: TStatementForPdf): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: "A4",
    margin: 56,
    bufferPages: true,
    info: { Title: `Statement ${statement.period}`, Author: statement.tenant.name },
  });
  const loaded = statementFonts();
  doc.registerFont(BODY, loaded.body);
  doc.registerFont(BOLD, loaded.bold);
  const tables = new PdfTables(doc);
  const currency = statement.tenant.currency;
  const day = dayIn(statement.tenant.timeZone);
  const lastDay = new Date(statement.periodEnd.getTime() - 1);
  const left = tables.left;
  const width = tables.width;

  doc.font(BOLD).fontSize(18).fillColor(INK).text(statement.tenant.name, left, doc.y, { width });
  doc.moveDown(0.25);
  doc.font(BODY).fontSize(12).fillColor("#475569").text(`Statement for ${periodLabel(statement.period)}`, { width });
  doc.moveDown(1);
  doc.fillColor(INK).fontSize(10);
  doc.text(`Customer: ${statement.customer.name}`, { width });
  doc.text(`Account number: ${statement.customer.accountNumber}`, { width });
  doc.text(`Period: ${day(statement.periodStart)} to ${day(lastDay)} (${statement.tenant.timeZone})`, { width });
  doc.text(`Generated: ${day(statement.generatedAt)}`, { width });
  doc.moveDown(1.5);

  const amountWidth = 160;
  const summaryRow = (label: string, amount: bigint, options: { bold?: boolean } = {}) => {
    const y = doc.y;
    doc.font(options.bold ? BOLD : BODY).fontSize(11);
    doc.text(label, left, y, { width: width - amountWidth });
    doc.text(formatAmount(amount, currency), left + width - amountWidth, y, { width: amountWidth, align: "right" });
    doc.moveDown(0.6);
  };
  summaryRow("Opening balance", statement.openingBalance, { bold: true });
  tables.rule();
  doc.moveDown(0.6);
  for (const section of statement.sections) summaryRow(section.label, section.amount);
  tables.rule();
  doc.moveDown(0.6);
  summaryRow("Closing balance", statement.closingBalance, { bold: true });
  tables.paragraph("Credits are positive, charges negative. Amounts are exact to the micro-unit.");

  tables.heading("Call usage");
  const usage = statement.usage;
  if (usage.rows.length === 0) tables.paragraph("No call charges this month.", { size: 10 });
  else {
    tables.table(
      "Call usage",
      [
        { label: "Category", width: 0 },
        { label: "Calls", width: 60, align: "right" },
        { label: "Billed minutes", width: 90, align: "right" },
        { label: "Amount", width: 130, align: "right" },
      ],
      [
        ...usage.rows.map((row) => [
          { text: row.label },
          { text: row.calls === null ? "—" : String(row.calls) },
          { text: row.billedMinutes ?? "—" },
          { text: formatAmount(row.amount, currency) },
        ]),
        [{ text: "Call charges", bold: true }, { text: "" }, { text: "" }, { text: formatAmount(usage.total, currency), bold: true }],
      ],
    );
    doc.moveDown(0.4);
    tables.paragraph(usage.note);
  }

  tables.heading("Activity");
  if (statement.activity.length === 0) tables.paragraph("No top-ups, fees or adjustments this month.", { size: 10 });
  else {
    tables.table(
      "Activity",
      [
        { label: "Date", width: 72 },
        { label: "Description", width: 0 },
        { label: "Amount", width: 100, align: "right" },
        { label: "Balance after", width: 100, align: "right" },
      ],
      statement.activity.map((entry) => [
        { text: day(entry.at) },
        { text: entry.description },
        { text: formatAmount(entry.amount, currency) },
        { text: formatAmount(entry.balanceAfter, currency) },
      ]),
    );
    doc.moveDown(0.4);
    tables.paragraph(`Call charges are summarised under Call usage. Dates are in ${statement.tenant.timeZone}.`);
  }

  tables.footers(`${statement.tenant.name} · ${statement.customer.name} (${statement.customer.accountNumber}) · Statement for ${periodLabel(statement.period)}`);
  doc.end();
  return doc;
}
