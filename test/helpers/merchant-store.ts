// A custom-catalog store with a merchant signed in to /app, for tests of the merchant pages.
import type { Express } from 'express';
import type { TestRuntime } from './db.ts';
import { signIn, type Agent } from './browser-client.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { issueMerchantLogin } from '../../src/accounts/merchant-accounts.ts';
import type { Store } from '../../src/model/store.ts';

export async function merchantStore(rt: TestRuntime, app: Express, domain: string): Promise<{ store: Store; agent: Agent; csrf: string }> {
  const store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain })).store;
  const email = `owner@${domain}`;
  const { password } = await issueMerchantLogin(rt.db.pool, store.id, email);
  return { store, ...(await signIn(app, 'app', email, password)) };
}
