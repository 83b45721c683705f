// The last lines `npm start` prints on a terminal: where the app is and how to get in.
import type { Config } from './config.ts';

export function welcome(config: Config): string {
  const url = config.appUrl.replace(/\/$/, '');
  const staff = config.supportBootstrap.email
    ? `sign in as ${config.supportBootstrap.email} (SUPPORT_BOOTSTRAP_EMAIL)`
    : 'set SUPPORT_BOOTSTRAP_EMAIL and SUPPORT_BOOTSTRAP_PASSWORD for the first admin';
  return [
    '',
    `  Storeflow is running: open ${url}/app`,
    `  Sign in: run \`npm run cli -- demo\` in a second terminal; it prints a demo store's email and password for ${url}/app/login`,
    `  Support console: ${url}/support; ${staff}`,
    '  Stop with Ctrl+C.',
    '',
  ].join('\n');
}
