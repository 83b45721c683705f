// Lists as the merchant manages them: create, rename, delete, add and remove a member, import a CSV.
// Renaming or deleting a list a flow starts from is refused: the flow would never start again.
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { z } from 'zod';
import type { StoreId } from '../model/ids.ts';
import { Email, Phone } from '../model/profile.ts';
import { withTransaction } from '../db/pool.ts';
import { flowsStartedBy } from '../db/repositories/flows.ts';
import { deleteList, findList, insertList, listImports, listMembers, removeMember, renameList, storeLists, type ListRow, type MemberRow, type StoredImport } from '../db/repositories/lists.ts';
import { upsertProfile } from '../ingest/ingest-profiles.ts';
import { importListCsv, type ImportOutcome } from '../ingest/import-list-csv.ts';

export const MEMBERS_PAGE = 50;

export const ListName = z.string().trim().min(1, 'enter a name for the list').max(255, 'a list name is at most 255 characters');

type Errors = Record<string, string>;
const firstError = (e: z.ZodError): string => e.issues[0]?.message ?? 'check this value';

export const allLists = (pool: pg.Pool, storeId: StoreId): Promise<ListRow[]> => storeLists(pool, storeId);

export async function createList(pool: pg.Pool, storeId: StoreId, body: { name?: unknown }): Promise<{ ok: true; name: string } | { ok: false; errors: Errors }> {
  const name = ListName.safeParse(body.name ?? '');
  if (!name.success) return { ok: false, errors: { name: firstError(name.error) } };
  if (!(await insertList(pool, storeId, name.data))) return { ok: false, errors: { name: `a list named “${name.data}” already exists; choose another name` } };
  return { ok: true, name: name.data };
}

export type ListChange = { status: 'done'; name: string } | { status: 'missing' } | { status: 'invalid'; errors: Errors } | { status: 'in-use'; flows: string[] };

/** Whether the store has a list of this name (another store's lists are never found). */
export async function hasList(pool: pg.Pool, storeId: StoreId, name: string): Promise<boolean> {
  return Boolean(await findList(pool, storeId, name));
}

export async function renameStoreList(pool: pg.Pool, storeId: StoreId, from: string, body: { name?: unknown }): Promise<ListChange> {
  if (!(await findList(pool, storeId, from))) return { status: 'missing' };
  const to = ListName.safeParse(body.name ?? '');
  if (!to.success) return { status: 'invalid', errors: { name: firstError(to.error) } };
  if (to.data === from) return { status: 'done', name: from };
  return withTransaction(pool, async (tx) => {
    const flows = await flowsStartedBy(tx, storeId, 'list', from);
    if (flows.length) return { status: 'in-use', flows } as const;
    const done = await renameList(tx, storeId, from, to.data);
    if (done === 'missing') return { status: 'missing' } as const;
    if (done === 'taken') return { status: 'invalid', errors: { name: `a list named “${to.data}” already exists; choose another name` } } as const;
    return { status: 'done', name: to.data } as const;
  });
}

export async function deleteStoreList(pool: pg.Pool, storeId: StoreId, name: string): Promise<ListChange> {
  return withTransaction(pool, async (tx) => {
    const flows = await flowsStartedBy(tx, storeId, 'list', name);
    if (flows.length) return { status: 'in-use', flows } as const;
    return (await deleteList(tx, storeId, name)) ? ({ status: 'done', name } as const) : ({ status: 'missing' } as const);
  });
}

export type ListPage = { list: ListRow; members: MemberRow[]; nextAfter: string | null; imports: StoredImport[] };

export async function listPage(pool: pg.Pool, storeId: StoreId, name: string, afterId?: string): Promise<ListPage | undefined> {
  const list = await findList(pool, storeId, name);
  if (!list) return undefined;
  const [rows, imports] = await Promise.all([listMembers(pool, storeId, name, { afterId, limit: MEMBERS_PAGE + 1 }), listImports(pool, storeId, name, 5)]);
  const members = rows.slice(0, MEMBERS_PAGE);
  return { list, members, nextAfter: rows.length > MEMBERS_PAGE ? members[members.length - 1]!.profileId : null, imports };
}

/** An email or an international phone number: whoever holds it joins (a new profile if nobody does). */
const MemberForm = z.object({ who: z.string().trim().min(1, 'enter an email or a phone number such as +14155550100').max(320) });

export async function addListMember(pool: pg.Pool, storeId: StoreId, list: string, body: unknown): Promise<{ status: 'added' | 'already' | 'missing' } | { status: 'invalid'; errors: Errors }> {
  if (!(await findList(pool, storeId, list))) return { status: 'missing' };
  const form = MemberForm.safeParse(body);
  if (!form.success) return { status: 'invalid', errors: { who: firstError(form.error) } };
  const email = Email.safeParse(form.data.who);
  const phone = email.success ? undefined : Phone.safeParse(form.data.who);
  if (!email.success && !phone?.success) return { status: 'invalid', errors: { who: 'enter an email address, or a phone number with its country code such as +14155550100' } };
  if (!(await findList(pool, storeId, list))) return { status: 'missing' };
  const before = (await findList(pool, storeId, list))!.members;
  await withTransaction(pool, (tx) => upsertProfile(tx, storeId, { ...(email.success ? { email: email.data } : { phone: phone!.data! }), lists: [list] }));
  const after = (await findList(pool, storeId, list))!.members;
  return { status: after > before ? 'added' : 'already' };
}

export async function removeListMember(pool: pg.Pool, storeId: StoreId, list: string, profileId: string): Promise<boolean | 'missing'> {
  if (!(await findList(pool, storeId, list))) return 'missing';
  if (!z.uuid().safeParse(profileId).success) return false;
  return removeMember(pool, storeId, list, profileId);
}

export const importIntoList = (pool: pg.Pool, storeId: StoreId, list: string, csv: Readable, actor: string | null): Promise<ImportOutcome> =>
  importListCsv(pool, storeId, list, csv, actor);
