// Decides, from PostgreSQL's own parse tree, whether a statement names one value of each table's
// distribution column, as a Citus router query must. Parsing uses libpg-query (Postgres's parser
// compiled to WebAssembly), so every statement the server accepts parses the same way here.
import { loadModule, parseSync } from 'libpg-query';
import { OTHER_DISTRIBUTION_COLUMN } from '../helpers/distributed-schema.ts';

export type Routing = {
  /** Each table the statement reads or writes, and whether its distribution column is pinned. */
  refs: Array<{ table: string; routed: boolean }>;
  /** Parameters ($n) that carry the distribution value: at run time they must all be equal. */
  params: number[];
  /** Array parameters unnested into the distribution column: every element must be that same value. */
  arrayParams: number[];
  /** jsonb record-set parameters whose `field` feeds the distribution column: every record's must be that value. */
  recordParams: Array<{ param: number; field: string }>;
  /**
   * True when some table is pinned only through the values of an array or record-set parameter:
   * one store per execution, checked at run time, but a Citus planner cannot see the value and
   * would send it to every shard unless the statement also says `store_id = $n`.
   */
  byValue: boolean;
  /** Set when the parser rejects the text (never for SQL the server ran). */
  error?: string;
};

export const loadParser = loadModule;

// stores is a reference table, but its id is the store: `stores.id = $1` pins a join on store_id.
const distColumn = (table: string) => (table === 'stores' ? 'id' : (OTHER_DISTRIBUTION_COLUMN[table]?.column ?? 'store_id'));

type Node = Record<string, any>;
type Alias =
  | { kind: 'table'; table: string; routed: boolean }
  | { kind: 'set'; fn: string; columns: string[]; args: Node[] }
  | { kind: 'cte'; routed: boolean; column: string }
  | { kind: 'other' };
type Scope = { aliases: Map<string, Alias>; outer?: Scope; lateral?: Node[] };
/** CTE name → whether every store table inside it is pinned to one value, and the column naming the store. */
type Ctes = Map<string, { routed: boolean; column: string }>;

export function analyzeStatement(sql: string): Routing {
  const out: Routing = { refs: [], params: [], arrayParams: [], recordParams: [], byValue: false };
  let tree: Node;
  try {
    tree = parseSync(sql);
  } catch (err) {
    return { ...out, error: (err as Error).message };
  }
  for (const { stmt } of tree.stmts ?? []) statement(stmt, undefined, new Map(), out);
  out.params = [...new Set(out.params)];
  out.arrayParams = [...new Set(out.arrayParams)];
  out.recordParams = [...new Map(out.recordParams.map((r) => [`${r.param}:${r.field}`, r])).values()];
  return out;
}

function paramOf(node: Node | undefined): number | 'const' | undefined {
  if (!node) return undefined;
  if (node.TypeCast) return paramOf(node.TypeCast.arg);
  if (node.ParamRef) return node.ParamRef.number as number;
  if (node.A_Const) return 'const';
  return undefined;
}

const name = (n: Node) => n.String?.sval as string | undefined;

function statement(stmt: Node, outer: Scope | undefined, ctes: Ctes, out: Routing): void {
  const kind = Object.keys(stmt)[0]!;
  const body = stmt[kind];
  if (!['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt'].includes(kind)) return;
  const own: Ctes = new Map(ctes);
  for (const cte of body.withClause?.ctes ?? []) {
    const before = out.refs.length;
    statement(cte.CommonTableExpr.ctequery, outer, own, out);
    const inner = out.refs.slice(before);
    const q = cte.CommonTableExpr.ctequery;
    const main = (Object.values(q)[0] as Node).relation?.relname ?? (Object.values(q)[0] as Node).fromClause?.[0]?.RangeVar?.relname;
    own.set(cte.CommonTableExpr.ctename, {
      routed: inner.length > 0 && inner.every((r) => r.routed),
      column: main === 'stores' ? 'id' : 'store_id',
    });
  }
  if (kind === 'SelectStmt') return select(body, outer, own, out);
  const scope: Scope = { aliases: new Map(), outer };
  const target = body.relation;
  const targetAlias = target.alias?.aliasname ?? target.relname;
  if (!own.has(target.relname)) scope.aliases.set(targetAlias, { kind: 'table', table: target.relname, routed: false });
  if (kind === 'InsertStmt') return insert(body, scope, own, out);
  const conjuncts: Node[] = [];
  for (const item of body.fromClause ?? body.usingClause ?? []) fromItem(item, scope, own, conjuncts, out);
  if (body.whereClause) conjuncts.push(body.whereClause);
  route(scope, conjuncts, out);
  nested([body.whereClause, body.targetList, body.returningList], scope, own, out);
  report(scope, out, ctes);
}

function select(body: Node, outer: Scope | undefined, ctes: Ctes, out: Routing): void {
  if (body.op && body.op !== 'SETOP_NONE') {
    select(body.larg, outer, ctes, out);
    select(body.rarg, outer, ctes, out);
    return;
  }
  const scope: Scope = { aliases: new Map(), outer };
  const conjuncts: Node[] = [];
  for (const item of body.fromClause ?? []) fromItem(item, scope, ctes, conjuncts, out);
  if (body.whereClause) conjuncts.push(body.whereClause);
  route(scope, conjuncts, out);
  nested([body.whereClause, body.targetList, body.havingClause, body.valuesLists], scope, ctes, out);
  report(scope, out, ctes);
}

function insert(body: Node, scope: Scope, ctes: Ctes, out: Routing): void {
  const target = [...scope.aliases.values()][0];
  const cols: string[] = (body.cols ?? []).map((c: Node) => c.ResTarget.name);
  const src = body.selectStmt?.SelectStmt;
  if (!target || target.kind !== 'table') {
    if (src) select(src, undefined, ctes, out);
    return;
  }
  const at = cols.indexOf(distColumn(target.table));
  let routed = at >= 0 && !!src;
  if (src?.valuesLists) {
    for (const row of src.valuesLists) {
      const p = paramOf(row.List.items[at]);
      if (p === undefined) routed = false;
      else if (p !== 'const') out.params.push(p);
    }
    nested([src.valuesLists], scope, ctes, out);
  } else if (src && at >= 0) {
    const inner: Scope = { aliases: new Map() };
    const conjuncts: Node[] = [];
    for (const item of src.fromClause ?? []) fromItem(item, inner, ctes, conjuncts, out);
    if (src.whereClause) conjuncts.push(src.whereClause);
    route(inner, conjuncts, out);
    nested([src.whereClause, src.targetList], inner, ctes, out);
    report(inner, out, ctes);
    const value = src.targetList?.[at]?.ResTarget?.val as Node | undefined;
    const p = paramOf(value);
    if (typeof p === 'number') out.params.push(p);
    else if (p !== 'const') {
      const fields = (value?.ColumnRef?.fields ?? []).map(name) as string[];
      const col = fields.length ? resolveAny(fields, inner) : undefined;
      if (!col || !pinned(col.alias, col.column, out)) routed = false;
    }
  }
  out.refs.push({ table: target.table, routed });
  nested([body.onConflictClause, body.returningList], scope, ctes, out);
}

function fromItem(item: Node, scope: Scope, ctes: Ctes, conjuncts: Node[], out: Routing): void {
  if (item.RangeVar) {
    const r = item.RangeVar;
    const alias = r.alias?.aliasname ?? r.relname;
    const cte = ctes.get(r.relname);
    scope.aliases.set(alias, cte !== undefined ? { kind: 'cte', ...cte } : { kind: 'table', table: r.relname, routed: false });
  } else if (item.JoinExpr) {
    fromItem(item.JoinExpr.larg, scope, ctes, conjuncts, out);
    fromItem(item.JoinExpr.rarg, scope, ctes, conjuncts, out);
    if (item.JoinExpr.quals) conjuncts.push(item.JoinExpr.quals);
  } else if (item.RangeSubselect) {
    const sub = item.RangeSubselect;
    if (sub.alias) scope.aliases.set(sub.alias.aliasname, { kind: 'other' });
    // A LATERAL subquery sees this scope, so it is judged once this scope's own quals have pinned it.
    if (sub.lateral) (scope.lateral ??= []).push(sub.subquery);
    else statement(sub.subquery, scope.outer, ctes, out);
  } else if (item.RangeFunction) {
    const f = item.RangeFunction;
    const call = f.functions?.[0]?.List?.items?.[0]?.FuncCall;
    if (f.alias && call) {
      scope.aliases.set(f.alias.aliasname, {
        kind: 'set',
        fn: call.funcname.map(name).at(-1),
        columns: f.coldeflist ? f.coldeflist.map((c: Node) => c.ColumnDef.colname) : (f.alias.colnames ?? []).map(name),
        args: call.args ?? [],
      });
    }
  }
}

function conjunctsOf(node: Node, acc: Node[] = []): Node[] {
  if (node.BoolExpr?.boolop === 'AND_EXPR') for (const a of node.BoolExpr.args) conjunctsOf(a, acc);
  else acc.push(node);
  return acc;
}

function resolve(fields: string[], scope: Scope): { alias: Alias; column: string } | undefined {
  const column = fields.at(-1)!;
  for (let s: Scope | undefined = scope; s; s = s.outer) {
    if (fields.length >= 2) {
      const a = s.aliases.get(fields.at(-2)!);
      if (a) return { alias: a, column };
    } else {
      const tables = [...s.aliases.values()].filter((a) => a.kind === 'table' && distColumn(a.table) === column);
      if (tables.length === 1) return { alias: tables[0]!, column };
      if (tables.length > 1) return undefined;
    }
  }
  return undefined;
}

/** A column, qualified or not, of any alias in scope (for record sets and CTEs as well as tables). */
function resolveAny(fields: string[], scope: Scope): { alias: Alias; column: string } | undefined {
  if (fields.length >= 2) return resolve(fields, scope);
  const column = fields[0]!;
  for (let s: Scope | undefined = scope; s; s = s.outer) {
    const hits = [...s.aliases.values()].filter(
      (a) =>
        (a.kind === 'set' && a.columns.includes(column)) ||
        (a.kind === 'table' && distColumn(a.table) === column) ||
        (a.kind === 'cte' && column === a.column),
    );
    if (hits.length === 1) return { alias: hits[0]!, column };
    if (hits.length > 1) return undefined;
  }
  return undefined;
}

/**
 * Whether `alias.column` carries one distribution value: a pinned table's own column, a pinned
 * CTE's, or a record set's column fed by a parameter (noted for the run-time check).
 */
function pinned(alias: Alias, column: string, out: Routing): boolean {
  if (alias.kind === 'table') return alias.routed && column === distColumn(alias.table);
  if (alias.kind === 'cte') return alias.routed && column === alias.column;
  if (alias.kind !== 'set') return false;
  const i = alias.columns.indexOf(column);
  if (i < 0) return false;
  if (alias.fn === 'unnest') {
    const p = paramOf(alias.args[i]);
    if (typeof p !== 'number') return false;
    out.arrayParams.push(p);
  } else if (alias.fn === 'jsonb_to_recordset' || alias.fn === 'json_to_recordset') {
    const p = paramOf(alias.args[0]);
    if (typeof p !== 'number') return false;
    out.recordParams.push({ param: p, field: column });
  } else return false;
  out.byValue = true;
  return true;
}

/** Marks each table alias routed by an equality on its distribution column, to a value or a routed alias. */
function route(scope: Scope, quals: Node[], out: Routing): void {
  const eqs = quals.flatMap((q) => conjunctsOf(q)).filter(
    (c) => c.A_Expr?.kind === 'AEXPR_OP' && c.A_Expr.name.map(name).join() === '=',
  );
  let changed = true;
  while (changed) {
    changed = false;
    for (const eq of eqs) {
      for (const [l, r] of [[eq.A_Expr.lexpr, eq.A_Expr.rexpr], [eq.A_Expr.rexpr, eq.A_Expr.lexpr]] as Array<[Node, Node]>) {
        const col = l.ColumnRef ? resolve(l.ColumnRef.fields.map(name), scope) : undefined;
        if (!col || col.alias.kind !== 'table' || col.alias.routed || col.column !== distColumn(col.alias.table)) continue;
        const p = paramOf(r);
        const other = r.ColumnRef ? resolveAny(r.ColumnRef.fields.map(name), scope) : undefined;
        if (p !== undefined) {
          if (p !== 'const') out.params.push(p);
        } else if (!other || !pinned(other.alias, other.column, out)) continue;
        col.alias.routed = true;
        changed = true;
      }
    }
  }
}

function report(scope: Scope, out: Routing, ctes: Ctes = new Map()): void {
  for (const sub of scope.lateral ?? []) statement(sub, scope, ctes, out);
  for (const a of scope.aliases.values()) if (a.kind === 'table') out.refs.push({ table: a.table, routed: a.routed });
}

/** Subqueries inside expressions: each is its own scope, seeing this one as outer. */
function nested(nodes: unknown[], scope: Scope, ctes: Ctes, out: Routing): void {
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const node = n as Node;
    if (node.SubLink) return statement(node.SubLink.subselect, scope, ctes, out);
    for (const v of Object.values(node)) walk(v);
  };
  walk(nodes);
}
