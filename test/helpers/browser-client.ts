// A cookie-keeping client for the server-rendered pages: reads the CSRF token out of a page
// and posts forms the way a browser does.
import request from 'supertest';
import type { Express } from 'express';

export type Agent = ReturnType<typeof request.agent>;

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token on the page:\n${html.slice(0, 500)}`);
  return m[1]!;
}

export async function signIn(app: Express, audience: 'app' | 'support', email: string, password: string): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(app);
  const page = await agent.get(`/${audience}/login`).expect(200);
  const res = await agent.post(`/${audience}/login`).type('form').send({ _csrf: csrfOf(page.text), email, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}: ${res.text.slice(0, 300)}`);
  const home = await agent.get(`/${audience}`).expect(200);
  return { agent, csrf: csrfOf(home.text) };
}
