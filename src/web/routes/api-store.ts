// GET /api/v1/store and PATCH /api/v1/store: the key's own store and the settings a merchant
// may change through the API (the storefront domains its links may point at).
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { setMerchantStorefrontDomains, storefrontDomains } from '../../stores/storefront-hosts.ts';
import { StorefrontDomains } from '../../model/store-urls.ts';
import { parseBody } from '../parse-batch.ts';
import { ProblemError } from '../problem.ts';

const StorePatch = z.strictObject({ storefrontDomains: StorefrontDomains });

export function storeRoutes(ctx: AppContext): Router {
  const r = Router();
  const show = async (res: Response) => {
    const { store } = res.locals as AuthedLocals;
    const links = await storefrontDomains(ctx.db, store.id);
    if (!links) throw new ProblemError(404, 'No such store.');
    res.json({ id: store.id, platform: store.platform, domain: store.domain, storefrontDomains: links.storefrontDomains, platformStorefrontDomains: links.platformDomains });
  };
  r.get('/store', async (_req, res) => show(res));
  r.patch('/store', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    await setMerchantStorefrontDomains(ctx.db, store.id, parseBody(StorePatch, req.body).storefrontDomains);
    await show(res);
  });
  return r;
}
