// The install callback's proof: Wix redirects the merchant back with a one-time `code` (beside
// `state` and `instanceId`). The SDK exchanges the code at Wix's token endpoint (POST
// https://www.wixapis.com/oauth/access, grant_type authorization_code, with our app id and secret),
// and Wix's token-info endpoint (POST /oauth2/token-info) then says which app and instance the
// resulting token is for. Only that answer names the instance; the query's instanceId must agree
// with it, or nothing is installed and nobody is signed in.
import { AppStrategy } from '@wix/sdk';
import { z } from 'zod';
import { InstanceId } from './instance-id.ts';

export class WixInstanceRefused extends Error {
  override name = 'WixInstanceRefused';
}

const TokenInfo = z.looseObject({
  // Wix's documented sample answers "true" as a string.
  active: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
  clientId: z.string(),
  instanceId: InstanceId,
});

/**
 * Spends the code and returns the instance Wix issued it for. Throws WixInstanceRefused when Wix
 * refuses the code, or names another app or another instance than the callback claims.
 */
export async function instanceForInstallCode(
  app: { appId: string; appSecret: string },
  callback: { code: string; instanceId: string; state: string },
): Promise<string> {
  let accessToken: string;
  try {
    // The SDK reads code and instanceId from a callback URL; only the exchange is used from it.
    const url = new URL('https://callback.invalid/');
    url.search = new URLSearchParams(callback).toString();
    ({ accessToken } = await AppStrategy({ appId: app.appId, appSecret: app.appSecret }).handleOAuthCallback(url.toString()));
  } catch (err) {
    throw new WixInstanceRefused(`Wix refused the install code: ${(err as Error).message}`);
  }
  let info: z.infer<typeof TokenInfo>;
  try {
    info = TokenInfo.parse(await AppStrategy({ appId: app.appId, appSecret: app.appSecret, accessToken }).getTokenInfo());
  } catch (err) {
    throw new WixInstanceRefused(`Wix did not describe the install token: ${(err as Error).message}`);
  }
  if (!info.active) throw new WixInstanceRefused('The install token is not active.');
  if (info.clientId !== app.appId) throw new WixInstanceRefused('The install code was issued to another app.');
  if (info.instanceId !== InstanceId.parse(callback.instanceId)) throw new WixInstanceRefused('The install code was issued for another site.');
  return info.instanceId;
}
