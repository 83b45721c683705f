// The single-click install's code exchange at BigCommerce's OAuth token endpoint.
import axios from 'axios';
import { TokenResponse, hashOfContext } from './payload-schemas.ts';

export type BigCommerceGrant = { storeHash: string; accessToken: string; scopes: string[]; ownerEmail: string | null };

export class InstallRefused extends Error {
  override name = 'InstallRefused';
}

export async function exchangeCode(
  loginBaseUrl: string,
  app: { clientId: string; clientSecret: string; redirectUri: string },
  q: { code: string; scope: string; context: string },
): Promise<BigCommerceGrant> {
  const body = {
    client_id: app.clientId,
    client_secret: app.clientSecret,
    code: q.code,
    context: q.context,
    scope: q.scope,
    grant_type: 'authorization_code',
    redirect_uri: app.redirectUri,
  };
  const res = await axios
    .post(`${loginBaseUrl.replace(/\/$/, '')}/oauth2/token`, body, { timeout: 15_000, validateStatus: () => true, headers: { Accept: 'application/json' } })
    .catch((err: { code?: string; message?: string }) => {
      // Thrown anew: axios's error holds the request body, client secret included, and errors get logged.
      throw new Error(`BigCommerce token endpoint unreachable: ${err.code ?? err.message}`);
    });
  // A 4xx here means the code was used, expired or forged: the merchant has to start again.
  if (res.status >= 400 && res.status < 500) throw new InstallRefused(`BigCommerce refused the authorization code (${res.status}).`);
  if (res.status >= 300) throw new Error(`BigCommerce token endpoint answered ${res.status}`);
  const token = TokenResponse.parse(res.data);
  if (token.context !== q.context) throw new InstallRefused('BigCommerce issued the token for another store.');
  return {
    storeHash: hashOfContext(token.context),
    accessToken: token.access_token,
    scopes: token.scope.split(/\s+/).filter(Boolean),
    ownerEmail: token.owner?.email ?? token.user?.email ?? null,
  };
}
