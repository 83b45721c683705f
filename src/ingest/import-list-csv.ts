// A CSV of people imported into a list: streamed through csv-parse, each row checked with zod on
// its own, and written a batch at a time through identity resolution (the same as every other
// door a profile comes in by). A refused row is reported with its line number and reason and
// writes nothing; a row is never half-applied because each batch is one transaction.
// Consent changes only where the row's consent column says so, stamped "csv import" and the time.
// Importing the same file again changes nothing: memberships, identifiers and consent are
// all set-if-different (docs/security/csv-import.md has the limits and what is trusted).
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { StoreId } from '../model/ids.ts';
import { Email, ExternalProfileId, Phone } from '../model/profile.ts';
import { withTransaction } from '../db/pool.ts';
import { addMembers, applyImportedRows, findList, insertImport, type ImportedRow, type ImportReport } from '../db/repositories/lists.ts';
import { resolveProfiles } from './resolve-profiles.ts';

export const IMPORT_LIMITS = {
  /** Bytes of CSV one import reads; past it the import stops (rows before it stay imported). */
  maxBytes: 50 * 1024 * 1024,
  maxRows: 200_000,
  /** One row (all its fields) at most; a longer one is refused, not buffered. */
  maxRecordBytes: 16 * 1024,
  /** Refusals kept for the report; all are counted. */
  reportedBadRows: 100,
  batchRows: 1_000,
} as const;

export const CONSENT_SOURCE = 'csv import';

const YES = new Set(['yes', 'y', 'true', '1', 'subscribed', 'opted in', 'opt-in', 'opt in']);
const NO = new Set(['no', 'n', 'false', '0', 'unsubscribed', 'opted out', 'opt-out', 'opt out']);

/** Empty says nothing; yes or no (in any of their usual spellings) say subscribed or unsubscribed. */
const ConsentCell = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const s = (v ?? '').trim().toLowerCase();
    if (s === '') return undefined;
    if (YES.has(s)) return 'subscribed' as const;
    if (NO.has(s)) return 'unsubscribed' as const;
    ctx.addIssue({ code: 'custom', message: `consent must be yes, no or empty, not "${v!.slice(0, 40)}"` });
    return z.NEVER;
  });

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const Name = z.preprocess(blank, z.string().trim().max(255, 'a name is at most 255 characters').optional());

export const CsvRow = z
  .object({
    email: z.preprocess(blank, Email.optional()),
    phone: z.preprocess(blank, Phone.optional()),
    external_id: z.preprocess(blank, ExternalProfileId.optional()),
    first_name: Name,
    last_name: Name,
    email_consent: ConsentCell,
    sms_consent: ConsentCell,
  })
  .refine((r) => r.email || r.phone || r.external_id, 'the row has no email, phone or external id')
  .refine((r) => !r.email_consent || r.email, { message: 'email consent is given but the row has no email', path: ['email_consent'] })
  .refine((r) => !r.sms_consent || r.phone, { message: 'SMS consent is given but the row has no phone', path: ['sms_consent'] });
export type CsvRow = z.infer<typeof CsvRow>;

const ALIASES: Record<string, string> = {
  email_address: 'email', e_mail: 'email', phone_number: 'phone', mobile: 'phone', sms: 'phone',
  externalid: 'external_id', customer_id: 'external_id', id: 'external_id',
  firstname: 'first_name', first: 'first_name', lastname: 'last_name', last: 'last_name',
  consent: 'email_consent', accepts_marketing: 'email_consent', email_marketing: 'email_consent',
  accepts_sms_marketing: 'sms_consent', sms_marketing: 'sms_consent',
};
const KNOWN = new Set(['email', 'phone', 'external_id', 'first_name', 'last_name', 'email_consent', 'sms_consent']);

/** "First Name" → first_name; unknown columns are dropped (false), not stored. */
export function columnName(header: string): string | false {
  const key = header.trim().toLowerCase().replace(/[\s.-]+/g, '_');
  const name = ALIASES[key] ?? key;
  return KNOWN.has(name) ? name : false;
}

function reasonOf(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const column = issue.path[0];
  if (issue.code === 'custom' || !column) return issue.message;
  const what = String(column).replace('_', ' ');
  if (column === 'email') return `the email is not an email address`;
  if (column === 'phone') return `the phone is not an international number such as +14155550100`;
  return `${what}: ${issue.message}`;
}

type Pending = { line: number; row: CsvRow };

export type ImportOutcome = { status: 'no-list' } | { status: 'no-columns' } | { status: 'done'; report: ImportReport; importId: string };

/** Imports the CSV into an existing list; the report is stored and returned. */
export async function importListCsv(pool: pg.Pool, storeId: StoreId, listName: string, input: Readable, actor: string | null): Promise<ImportOutcome> {
  if (!(await findList(pool, storeId, listName))) {
    input.resume();
    return { status: 'no-list' };
  }
  const report: ImportReport = { list: listName, outcome: 'done', stoppedReason: null, rowsRead: 0, rowsImported: 0, joined: 0, consentRecorded: 0, badRows: 0, bad: [] };
  const refuse = (line: number, reason: string) => {
    report.badRows++;
    if (report.bad.length < IMPORT_LIMITS.reportedBadRows) report.bad.push({ line, reason });
  };
  let columns: Array<string | false> = [];
  const parser = parse({
    bom: true,
    columns: (header: string[]) => (columns = header.map(columnName)),
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: IMPORT_LIMITS.maxRecordBytes,
    info: true,
    skip_records_with_error: true,
    on_skip: (err: { code?: string; lines?: number; message: string } | undefined) => {
      if (!err) return;
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        // csv-parse reads nothing after an over-long record: say so rather than lose the rest quietly.
        refuse(err.lines ?? 0, `the row is longer than ${IMPORT_LIMITS.maxRecordBytes / 1024} kB (often a quote left open)`);
        report.outcome = 'stopped';
        report.stoppedReason = `a row at line ${err.lines ?? '?'} is longer than ${IMPORT_LIMITS.maxRecordBytes / 1024} kB (often a quote left open); nothing after it was read. Fix that row and import the file again.`;
        return;
      }
      refuse(err.lines ?? 0, `the row is not valid CSV (${err.message.replace(/^Invalid Record Length: /, '').slice(0, 120)})`);
    },
  });
  let bytes = 0;
  input.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > IMPORT_LIMITS.maxBytes && report.outcome === 'done') {
      report.outcome = 'stopped';
      report.stoppedReason = `the file is larger than ${IMPORT_LIMITS.maxBytes / 1024 / 1024} MB; rows after line ${parser.info.lines} were not read. Split it and import the rest.`;
      input.unpipe(parser);
      parser.end();
      input.resume();
    }
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let batch: Pending[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const done = await writeBatch(pool, storeId, listName, batch);
    report.rowsImported += batch.length;
    report.joined += done.joined;
    report.consentRecorded += done.consent;
    batch = [];
  };
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (report.rowsRead === 0 && !columns.some((c) => c === 'email' || c === 'phone' || c === 'external_id')) {
        parser.destroy();
        input.unpipe(parser);
        input.resume();
        return { status: 'no-columns' };
      }
      report.rowsRead++;
      if (report.rowsRead > IMPORT_LIMITS.maxRows) {
        report.rowsRead--;
        report.outcome = 'stopped';
        report.stoppedReason = `the file has more than ${IMPORT_LIMITS.maxRows.toLocaleString('en')} rows; rows from line ${item.info.lines} on were not read. Split it and import the rest.`;
        input.unpipe(parser);
        input.resume();
        parser.destroy();
        break;
      }
      const parsed = CsvRow.safeParse(item.record);
      if (!parsed.success) refuse(item.info.lines, reasonOf(parsed.error));
      else batch.push({ line: item.info.lines, row: parsed.data });
      if (batch.length >= IMPORT_LIMITS.batchRows) await flush();
    }
    await flush();
  } catch (err) {
    // A stream error after some batches were written: what was written stays (re-importing is safe).
    if ((err as { code?: string }).code === undefined || !String((err as { code?: string }).code).startsWith('CSV_')) throw err;
    report.outcome = 'stopped';
    report.stoppedReason = `the file could not be read past line ${parser.info.lines}: ${(err as Error).message.slice(0, 160)}`;
    await flush();
  }
  if (report.rowsRead === 0 && columns.length === 0) return { status: 'no-columns' };
  // The parser reports a malformed record as soon as it meets it, ahead of the rows still queued.
  report.bad.sort((a, b) => a.line - b.line);
  const importId = await insertImport(pool, storeId, report, actor);
  return { status: 'done', report, importId };
}

/** One batch, one transaction: profiles resolved (made, extended or joined), names and consent, membership. */
async function writeBatch(pool: pg.Pool, storeId: StoreId, list: string, batch: Pending[]): Promise<{ joined: number; consent: number }> {
  return withTransaction(pool, async (tx) => {
    const ids = await resolveProfiles(tx, storeId, batch.map(({ row }) => ({ email: row.email, phone: row.phone, externalId: row.external_id })));
    // The same person twice in a batch: a later row's consent wins and the first name given is
    // kept, as they would be row by row.
    const byProfile = new Map<string, ImportedRow>();
    batch.forEach(({ row }, i) => {
      const prev = byProfile.get(ids[i]!);
      byProfile.set(ids[i]!, {
        profileId: ids[i]!,
        firstName: prev?.firstName ?? row.first_name,
        lastName: prev?.lastName ?? row.last_name,
        email: row.email_consent ?? prev?.email,
        sms: row.sms_consent ?? prev?.sms,
      });
    });
    const consent = await applyImportedRows(tx, storeId, [...byProfile.values()], CONSENT_SOURCE);
    const joined = await addMembers(tx, storeId, list, [...byProfile.keys()]);
    return { joined, consent };
  });
}
