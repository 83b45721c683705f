// Lists: create, rename, delete; members added one at a time or imported from a CSV. The import
// reads the request body as it arrives (text/csv, sent by assets/ui/list-import.js) or, without
// script, rows pasted into the form; either way the CSV goes to the import use case unbuffered.
import { Readable } from 'node:stream';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { decodeCursor, encodeCursor, UUID_CURSOR } from '../cursor.ts';
import { parseQuery } from '../parse-batch.ts';
import { addListMember, allLists, hasList, createList, deleteStoreList, importIntoList, listPage, removeListMember, renameStoreList } from '../../merchant/lists.ts';
import { IMPORT_LIMITS } from '../../ingest/import-list-csv.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const ListQuery = z.object({ after: z.string().max(200).optional(), done: z.enum(['created', 'renamed', 'added', 'already', 'removed', 'imported']).optional() });
const NOTICES: Record<string, string> = {
  created: 'List created. Add people one at a time or import a CSV.',
  renamed: 'List renamed.',
  added: 'Added to the list.',
  already: 'That person is already on the list.',
  removed: 'Removed from the list.',
  imported: 'Import finished: the report is below.',
};
const listUrl = (name: string, query = '') => `/app/lists/${encodeURIComponent(name)}${query}`;

export function appListPages(r: Router, ctx: AppContext): void {
  const index = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const { store } = res.locals as MerchantLocals;
    await render(res, 'app/lists', { title: 'Lists', nav: 'lists', lists: await allLists(ctx.db.pool, store.id), values: {}, errors: {}, ...extra }, status);
  };
  const show = async (req: Request, res: Response, name: string, extra: Record<string, unknown> = {}, status = 200) => {
    const { store } = res.locals as MerchantLocals;
    const q = parseQuery(ListQuery, req.query);
    const found = await listPage(ctx.db.pool, store.id, name, decodeCursor(q.after, UUID_CURSOR));
    if (!found) return render(res, 'error', { title: 'Not found', status: 404, detail: 'There is no list of that name. It may have been renamed or deleted.' }, 404);
    await render(res, 'app/list', {
      title: `List: ${found.list.name}`,
      nav: 'lists',
      list: found.list,
      listUrl: listUrl(found.list.name),
      members: found.members,
      next: found.nextAfter ? encodeCursor(found.nextAfter) : null,
      imports: found.imports,
      limits: { megabytes: IMPORT_LIMITS.maxBytes / 1024 / 1024, rows: IMPORT_LIMITS.maxRows.toLocaleString('en') },
      notice: q.done ? NOTICES[q.done] : undefined,
      errors: {},
      values: {},
      ...extra,
    }, status);
  };

  r.get('/lists', async (_req, res) => index(res));
  r.post('/lists', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const body = req.body as Record<string, unknown>;
    const made = await createList(ctx.db.pool, store.id, body);
    if (!made.ok) return index(res, { errors: made.errors, values: { name: body.name } }, 422);
    res.redirect(303, listUrl(made.name, '?done=created'));
  });

  r.get('/lists/:name', async (req, res) => show(req, res, String(req.params.name)));

  r.post('/lists/:name/rename', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const name = String(req.params.name);
    const body = req.body as Record<string, unknown>;
    const done = await renameStoreList(ctx.db.pool, store.id, name, body);
    switch (done.status) {
      case 'done': return res.redirect(303, listUrl(done.name, '?done=renamed'));
      case 'missing': return show(req, res, name);
      case 'invalid': return show(req, res, name, { errors: { rename: done.errors.name }, values: { rename: body.name } }, 422);
      case 'in-use': return show(req, res, name, { errors: { rename: `the flow${done.flows.length > 1 ? 's' : ''} ${done.flows.map((f) => `“${f}”`).join(', ')} start${done.flows.length > 1 ? '' : 's'} when someone joins this list: change ${done.flows.length > 1 ? 'their triggers' : 'its trigger'} first` }, values: { rename: body.name } }, 409);
    }
  });

  r.post('/lists/:name/delete', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const name = String(req.params.name);
    const done = await deleteStoreList(ctx.db.pool, store.id, name);
    switch (done.status) {
      case 'done': return index(res, { notice: `Deleted the list “${name}”. Its members’ profiles are kept.` });
      case 'missing': return show(req, res, name);
      case 'invalid': return index(res);
      case 'in-use': return show(req, res, name, { notice: `Not deleted: ${done.flows.map((f) => `“${f}”`).join(', ')} start${done.flows.length > 1 ? '' : 's'} when someone joins this list. Change the flow’s trigger first.` }, 409);
    }
  });

  r.post('/lists/:name/members', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const name = String(req.params.name);
    const done = await addListMember(ctx.db.pool, store.id, name, req.body);
    switch (done.status) {
      case 'added':
      case 'already': return res.redirect(303, listUrl(name, `?done=${done.status}`));
      case 'missing': return show(req, res, name);
      case 'invalid': return show(req, res, name, { errors: done.errors, values: req.body as Record<string, unknown> }, 422);
    }
  });

  r.post('/lists/:name/members/:profileId/remove', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const name = String(req.params.name);
    if ((await removeListMember(ctx.db.pool, store.id, name, String(req.params.profileId))) === 'missing') return show(req, res, name);
    res.redirect(303, listUrl(name, '?done=removed'));
  });

  r.post('/lists/:name/import', async (req, res) => {
    const { store, actor } = res.locals as MerchantLocals;
    const name = String(req.params.name);
    if (!(await hasList(ctx.db.pool, store.id, name))) return show(req, res, name);
    let csv: Readable;
    if (req.is('text/csv') || req.is('text/plain') || req.is('application/vnd.ms-excel')) csv = req;
    else {
      const pasted = (req.body as Record<string, unknown> | undefined)?.csv;
      if (typeof pasted !== 'string' || pasted.trim() === '') return show(req, res, name, { errors: { csv: 'choose a CSV file, or paste its rows (with the header row) into the box' } }, 422);
      csv = Readable.from([Buffer.from(pasted)]);
    }
    const done = await importIntoList(ctx.db.pool, store.id, name, csv, actor);
    switch (done.status) {
      case 'no-list': return show(req, res, name);
      case 'no-columns': return show(req, res, name, { errors: { csv: 'the first row must name the columns, with at least one of email, phone or external_id' } }, 422);
      case 'done':
        ctx.logger.info({ storeId: store.id, actor, list: name, rows: done.report.rowsRead, bad: done.report.badRows }, 'list import');
        return res.redirect(303, listUrl(name, '?done=imported'));
    }
  });
}
