/**
 * A statement as CSV (RFC 4180): a header row, the opening balance, one row per posted movement
 * with its running balance, the closing balance; so the balance column reads down the file from
 * opening to closing.
 */
import type { StatementReply } from '@coffer/contracts';

/** reverses_transaction_id last: it came after the others, and a reader of the first seven columns reads them where they were. */
export const STATEMENT_CSV_HEADER = ['posted_at', 'transaction_id', 'event_id', 'type', 'amount', 'balance', 'description', 'reverses_transaction_id'];

/**
 * One field: quoted when it holds a comma, quote or line break (quotes doubled). Free text that
 * starts like a formula (= + - @, tab, CR) gets a leading apostrophe, as OWASP advises, so a
 * spreadsheet shows a user's description instead of running it.
 */
export function csvField(value: string | number | null, { text = false } = {}): string {
  if (value === null) return '';
  let field = String(value);
  if (text && /^[=+\-@\t\r]/.test(field)) field = `'${field}`;
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function statementCsv(statement: StatementReply): string {
  const line = (fields: string[]) => `${fields.join(',')}\r\n`;
  let csv = line(STATEMENT_CSV_HEADER);
  csv += line([csvField(statement.from), '', '', 'opening_balance', '', csvField(statement.opening_balance), '', '']);
  for (const movement of statement.movements) {
    csv += line([
      csvField(movement.posted_at),
      csvField(movement.transaction_id),
      csvField(movement.event_id),
      csvField(movement.type),
      csvField(movement.amount),
      csvField(movement.balance),
      csvField(movement.description, { text: true }),
      csvField(movement.reverses_transaction_id),
    ]);
  }
  csv += line([csvField(statement.to), '', '', 'closing_balance', '', csvField(statement.closing_balance), '', '']);
  return csv;
}
