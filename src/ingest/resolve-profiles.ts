// Identity resolution: which profile an event or profile update belongs to, given every
// identifier it carries. The rules (docs/identity.md):
//  - a profile keeps every identifier it is given;
//  - identifiers that belong to two profiles join them, unless the two hold different emails or
//    different platform customer ids: then nothing is joined and the conflict is recorded;
//  - the event goes to the profile of its strongest identifier (IDENTIFIER_KINDS order).
// A batch is resolved set-based where it can be (known shoppers, new shoppers, new identifiers
// for one known shopper); only events that join or split people go one at a time, under locks
// taken in profile id order.
import { randomUUID } from 'node:crypto';
import type { ProfileId, StoreId } from '../model/ids.ts';
import { identifiersOf, SINGLE_VALUED, type Identifier, type IdentifierKind, type ProfileIdentity } from '../model/profile.ts';
import type { Queryable } from '../db/pool.ts';
import {
  claimIdentifiers,
  createProfiles,
  deleteProfiles,
  findOwners,
  identifierKey as keyOf,
  identifiersOfProfiles,
  lockProfiles,
  lockProfilesShared,
  mergeProfileInto,
  recordMerge,
  type Owned,
} from '../db/repositories/profile-identifiers.ts';

type Singles = Map<IdentifierKind, string>;

/** True when `value` of `kind` can join a person who holds `singles`. */
const canTake = (singles: Singles, i: Identifier): boolean => !SINGLE_VALUED.has(i.kind) || (singles.get(i.kind) ?? i.value) === i.value;

const compatible = (a: Singles, b: Singles): boolean => [...b].every(([kind, value]) => canTake(a, { kind, value }));

function singlesOf(held: Owned[]): Map<ProfileId, Singles> {
  const out = new Map<ProfileId, Singles>();
  for (const h of held) {
    if (!SINGLE_VALUED.has(h.kind)) continue;
    const s = out.get(h.profileId) ?? new Map();
    s.set(h.kind, h.value);
    out.set(h.profileId, s);
  }
  return out;
}

class Retry extends Error {}

/** Profile ids for the identities, in order; creates, extends and merges profiles as needed. */
export async function resolveProfiles(db: Queryable, storeId: StoreId, identities: ProfileIdentity[]): Promise<ProfileId[]> {
  const idsOf = identities.map(identifiersOf);
  const result: Array<ProfileId | undefined> = new Array(identities.length);
  const all = [...new Map(idsOf.flat().map((i) => [keyOf(i), i])).values()];
  const owners = await findOwners(db, storeId, all);

  // Known shoppers: every identifier already on one profile.
  const pending: number[] = [];
  for (const [n, ids] of idsOf.entries()) {
    const found = new Set(ids.map((i) => owners.get(keyOf(i))));
    const only = found.size === 1 ? [...found][0] : undefined;
    if (only) result[n] = only;
    else pending.push(n);
  }

  let complex: number[] = [];
  if (pending.length > 0) complex = await resolveInBulk(db, storeId, pending, idsOf, owners, result);
  for (const n of complex) result[n] = await resolveOne(db, storeId, idsOf[n]!);

  // A concurrent merge may have removed a profile resolved above before this transaction locked
  // it; the share lock (held to commit) keeps the rest from being merged away under our events.
  for (let round = 0; round < 3; round++) {
    const wanted = [...new Set(result as ProfileId[])];
    const alive = await lockProfilesShared(db, storeId, wanted);
    const gone = identities.flatMap((_, n) => (alive.has(result[n]!) ? [] : [n]));
    if (gone.length === 0) return result as ProfileId[];
    for (const n of gone) result[n] = await resolveOne(db, storeId, idsOf[n]!);
  }
  throw new Error('profiles kept changing under identity resolution; try again');
}

/**
 * New shoppers and new identifiers for one known shopper, grouped by the identifiers their
 * events share: each group with no conflicting emails or customer ids becomes (or extends) one
 * profile in a few statements for the whole batch. Returns the events left to resolve one by one.
 */
async function resolveInBulk(
  db: Queryable,
  storeId: StoreId,
  pending: number[],
  idsOf: Identifier[][],
  owners: Map<string, ProfileId>,
  result: Array<ProfileId | undefined>,
): Promise<number[]> {
  // Union-find over identifier keys, with each owner profile as a node of its own.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? (parent.set(r, r), r);
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const n of pending) {
    const keys = idsOf[n]!.map(keyOf);
    for (const k of keys) {
      find(k);
      const owner = owners.get(k);
      if (owner) union(k, `profile:${owner}`);
    }
    for (const k of keys.slice(1)) union(keys[0]!, k);
  }
  type Group = { events: number[]; ids: Map<string, Identifier>; owners: Set<ProfileId> };
  const groups = new Map<string, Group>();
  for (const n of pending) {
    const root = find(keyOf(idsOf[n]![0]!));
    const g: Group = groups.get(root) ?? { events: [], ids: new Map(), owners: new Set() };
    g.events.push(n);
    for (const i of idsOf[n]!) {
      g.ids.set(keyOf(i), i);
      const owner = owners.get(keyOf(i));
      if (owner) g.owners.add(owner);
    }
    groups.set(root, g);
  }
  const ownerIds = [...new Set([...groups.values()].flatMap((g) => [...g.owners]))];
  const alive = new Set((await lockProfiles(db, storeId, ownerIds)).map((l) => l.id));
  const held = singlesOf(await identifiersOfProfiles(db, storeId, ownerIds));

  const complex: number[] = [];
  const fresh: Group[] = [];
  const extend: Array<{ group: Group; profileId: ProfileId }> = [];
  for (const g of groups.values()) {
    if (g.owners.size > 1 || [...g.owners].some((o) => !alive.has(o))) {
      complex.push(...g.events);
      continue;
    }
    const singles: Singles = new Map(g.owners.size === 1 ? held.get([...g.owners][0]!) : undefined);
    let ok = true;
    for (const i of g.ids.values()) {
      if (!canTake(singles, i)) ok = false;
      else if (SINGLE_VALUED.has(i.kind)) singles.set(i.kind, i.value);
    }
    if (!ok) complex.push(...g.events);
    else if (g.owners.size === 0) fresh.push(g);
    else extend.push({ group: g, profileId: [...g.owners][0]! });
  }

  // A new shopper's profile is made with the addresses it shows, first of each kind.
  const firstOf = (g: Group, kind: IdentifierKind) => [...g.ids.values()].find((i) => i.kind === kind)?.value;
  const wanted = fresh.map((group) => ({ group, profileId: randomUUID() as ProfileId }));
  const made = await createProfiles(
    db,
    storeId,
    wanted.map(({ group, profileId }) => ({ id: profileId, externalId: firstOf(group, 'external_id'), email: firstOf(group, 'email'), phone: firstOf(group, 'phone') })),
  );
  const planned = [...wanted.filter((w) => made.has(w.profileId)), ...extend];
  for (const w of wanted) if (!made.has(w.profileId)) complex.push(...w.group.events);
  const claims = planned.flatMap(({ group, profileId }) =>
    [...group.ids.values()].filter((i) => !owners.has(keyOf(i))).map((i) => ({ ...i, profileId })),
  );
  const taken = await claimIdentifiers(db, storeId, claims, { shown: made });
  const lostProfiles: ProfileId[] = [];
  for (const { group, profileId } of planned) {
    // Another delivery claimed one of these identifiers first: resolve against its profile.
    const lost = [...group.ids.values()].some((i) => !owners.has(keyOf(i)) && !taken.has(keyOf(i)));
    if (!lost) for (const n of group.events) result[n] = profileId;
    else {
      complex.push(...group.events);
      if (made.has(profileId)) lostProfiles.push(profileId);
    }
  }
  // A profile made here that lost an identifier it shows is dropped; the events resolve again.
  await deleteProfiles(db, storeId, lostProfiles);
  return complex.sort((a, b) => a - b);
}

/** One event's identifiers, with merges and conflicts: retried when a concurrent writer moved first. */
async function resolveOne(db: Queryable, storeId: StoreId, ids: Identifier[]): Promise<ProfileId> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await resolveOnce(db, storeId, ids);
    } catch (err) {
      if (!(err instanceof Retry)) throw err;
    }
  }
  throw new Error('identifiers kept changing owner under identity resolution; try again');
}

async function resolveOnce(db: Queryable, storeId: StoreId, ids: Identifier[]): Promise<ProfileId> {
  const made: ProfileId[] = [];
  try {
    return await resolveLocked(db, storeId, ids, made);
  } catch (err) {
    // A profile made for this attempt that got nothing is not left behind.
    if (err instanceof Retry) await deleteProfiles(db, storeId, made);
    throw err;
  }
}

async function resolveLocked(db: Queryable, storeId: StoreId, ids: Identifier[], made: ProfileId[]): Promise<ProfileId> {
  const owners = await findOwners(db, storeId, ids);
  const ownerIds = [...new Set(owners.values())];
  const locked = await lockProfiles(db, storeId, ownerIds);
  if (locked.length !== ownerIds.length) throw new Retry();
  const again = await findOwners(db, storeId, ids);
  if ([...again].some(([k, p]) => owners.get(k) !== p) || again.size !== owners.size) throw new Retry();
  const age = new Map(locked.map((l) => [l.id, l.createdAt.getTime()]));
  const held = singlesOf(await identifiersOfProfiles(db, storeId, ownerIds));
  const singles = (p: ProfileId): Singles => {
    if (!held.has(p)) held.set(p, new Map());
    return held.get(p)!;
  };

  // The anchor is the owner of the strongest identifier that has one, unless a stronger new
  // identifier cannot join that owner: then the strongest identifier starts a profile of its own.
  const firstOwned = ids.findIndex((i) => owners.has(keyOf(i)));
  let found: ProfileId | null = null;
  if (firstOwned >= 0) {
    const candidate = owners.get(keyOf(ids[firstOwned]!))!;
    if (ids.slice(0, firstOwned).every((i) => canTake(singles(candidate), i))) found = candidate;
  }
  let anchor: ProfileId;
  if (found) anchor = found;
  else {
    const first = ids[0]!;
    anchor = randomUUID() as ProfileId;
    const shows = first.kind === 'anonymous_id' ? {} : { [first.kind === 'external_id' ? 'externalId' : first.kind]: first.value };
    if (!(await createProfiles(db, storeId, [{ id: anchor, ...shows }])).has(anchor)) throw new Retry();
    made.push(anchor);
    age.set(anchor, Date.now());
    const taken = await claimIdentifiers(db, storeId, [{ ...ids[0]!, profileId: anchor }], { shown: new Set([anchor]) });
    if (!taken.has(keyOf(ids[0]!))) throw new Retry();
    held.set(anchor, new Map(SINGLE_VALUED.has(ids[0]!.kind) ? [[ids[0]!.kind, ids[0]!.value]] : []));
    owners.set(keyOf(ids[0]!), anchor);
  }

  for (const other of new Set(ids.map((i) => owners.get(keyOf(i))))) {
    if (!other || other === anchor) continue;
    const joinedBy = ids.filter((i) => owners.get(keyOf(i)) === other || owners.get(keyOf(i)) === anchor);
    if (!compatible(singles(anchor), singles(other))) {
      await recordMerge(db, storeId, 'conflict', anchor, other, joinedBy, conflictReason(singles(anchor), singles(other)));
      continue;
    }
    // The older profile survives: its id is the one other systems have known longest.
    const [a, o] = [age.get(anchor) ?? 0, age.get(other) ?? 0];
    const otherIsOlder: boolean = o < a || (o === a && other < anchor);
    const survivor: ProfileId = otherIsOlder ? other : anchor;
    const loser: ProfileId = otherIsOlder ? anchor : other;
    await mergeProfileInto(db, storeId, survivor, loser, joinedBy);
    held.set(survivor, new Map([...singles(loser), ...singles(survivor)]));
    for (const [k, p] of owners) if (p === loser) owners.set(k, survivor);
    anchor = survivor;
  }

  const claims: Owned[] = [];
  for (const i of ids) {
    if (owners.has(keyOf(i))) continue;
    if (canTake(singles(anchor), i)) {
      claims.push({ ...i, profileId: anchor });
      if (SINGLE_VALUED.has(i.kind)) singles(anchor).set(i.kind, i.value);
    } else {
      await recordMerge(db, storeId, 'conflict', anchor, null, [i], conflictReason(singles(anchor), new Map([[i.kind, i.value]])));
    }
  }
  const taken = await claimIdentifiers(db, storeId, claims);
  if (claims.some((c) => !taken.has(keyOf(c)))) throw new Retry();
  return anchor;
}

function conflictReason(a: Singles, b: Singles): string {
  const clash = [...b].filter(([kind, value]) => a.has(kind) && a.get(kind) !== value).map(([kind]) => kind);
  return `would join two different ${clash.map((k) => (k === 'email' ? 'emails' : 'platform customer ids')).join(' and ')}`;
}
