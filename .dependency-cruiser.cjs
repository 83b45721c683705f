// The rooms of the code and the direction their imports may point (docs/architecture.md):
//   entry points (src/web, src/cli.ts, src/jobs, start-up)
//     → use cases (connectors, src/ingest, src/flows, src/stores, src/merchant, src/support, src/accounts)
//       → src/messaging → src/db → src/model, src/config.ts (and the plain helpers beside them)
// `npm run depcheck` (part of `npm test`) fails on any import against these rules. An import the
// rules forbid but the code still has is listed in KNOWN with its reason; the list only shrinks.

const { posix } = require('node:path');

const ENTRY = '^src/(web/|jobs/|cli[.]ts$|main[.]ts$|boot[.]ts$|lifecycle[.]ts$)';
const USE_CASES = '^(connectors/|src/(ingest|flows|stores|merchant|support|accounts|demo)/)';
const MESSAGING = '^src/messaging/';
const DB = '^src/db/';
const BASE = '^src/(model/|config[.]ts$|util/|logger[.]ts$)';
const REPOSITORIES = '^src/db/repositories/';
/** Repositories that only read: a connector may be handed what they return, never a writer. */
const READ_ONLY_REPOSITORIES = '^src/db/repositories/(shopify-reads|bigcommerce-stores|flow-report)[.]ts$';
const ROUTES = '^src/web/(routes|ui)/';

/** How `from` names `to` in its import (the baseline matches on it). */
function specifier(from, to) {
  const rel = posix.relative(posix.dirname(from), to);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Imports the rules forbid that the code still has: each with why it stays for now. */
const KNOWN = [];

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A module must not reach itself through its imports: split the shared part out.',
      severity: 'error',
      from: { path: '^(src|connectors)/' },
      to: { circular: true },
    },
    {
      name: 'base-imports-nothing-above',
      comment: 'src/model, src/config.ts, src/util and the logger are the floor: they import no other room.',
      severity: 'error',
      from: { path: BASE },
      to: { path: `${ENTRY}|${USE_CASES}|${MESSAGING}|${DB}` },
    },
    {
      name: 'db-imports-only-base',
      comment: 'The database room sits on model and config only.',
      severity: 'error',
      from: { path: DB },
      to: { path: `${ENTRY}|${USE_CASES}|${MESSAGING}` },
    },
    {
      name: 'messaging-below-use-cases',
      comment: 'Messaging is used by flows and jobs; it never calls back into them.',
      severity: 'error',
      from: { path: MESSAGING },
      to: { path: `${ENTRY}|${USE_CASES}` },
    },
    {
      name: 'use-cases-below-entry-points',
      comment: 'Connectors, ingest, flows and the other use cases never import web, jobs or the CLI.',
      severity: 'error',
      from: { path: USE_CASES },
      to: { path: ENTRY },
    },
    {
      name: 'connectors-never-write',
      comment: 'Connectors verify, fetch and map; saving is done by the use cases they return values to.',
      severity: 'error',
      from: { path: '^connectors/' },
      to: { path: `${REPOSITORIES}|^src/stores/|^src/db/pool[.]ts$`, pathNot: READ_ONLY_REPOSITORIES },
    },
    {
      name: 'routes-call-use-cases',
      comment: 'Routes verify, parse, call one use case and map its result: no SQL, no pg, no repositories.',
      severity: 'error',
      from: { path: ROUTES },
      to: { path: `${REPOSITORIES}|^src/db/pool[.]ts$|^node_modules/pg/` },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves (a missing .ts extension or a typo fails here, not at run time).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|connectors/shopify/pixel/|connectors/bigcommerce/storefront/(storefront|checkout-sdk)[.]js$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    knownViolations: KNOWN.map(({ from, to, rule, types = ['local', 'import'] }) => ({
      type: 'dependency',
      from,
      to,
      unresolvedTo: specifier(from, to),
      dependencyTypes: types,
      rule: { name: rule, severity: 'error' },
    })),
    ignoreKnown: true,
    // An exception that no longer occurs fails the check too: delete its line, so the list only shrinks.
    baseline: { staleEntriesSeverity: 'error' },
  },
};
