/**
 * Chains, scopes and listings retention must not misjudge: a kept incremental keeps its whole
 * chain; a broken chain or an unreadable listing is never removed; deletion order never breaks a
 * chain part-way; and (fast-check) for any backups with chains and any policy, every kept
 * backup's chain is kept, and pruning the kept set again removes nothing.
 */
import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {planRetention, type RetentionCandidate, type RetentionPlan, type RetentionPolicy} from '../source/core/retention/index.js';
import {backup, days} from './retention/synthetic.js';

const keptNames = (plan: RetentionPlan) => plan.decisions.filter(decision => decision.keep).map(decision => decision.name ?? decision.fileName);

/** Nightly at 03:00 from 2026-11-01 to 2026-11-30: a full on Sundays, incrementals on the base before. */
function weeklyChains(): ReturnType<typeof backup>[] {
	const listing: ReturnType<typeof backup>[] = [];
	let full = '';
	let previous = '';
	for (const day of days('2026-11-01', '2026-11-30')) {
		const at = `${day} 03:00`;
		const sunday = new Date(`${day}T00:00:00Z`).getUTCDay() === 0;
		if (sunday || !full) full = at;
		listing.push(backup(sunday || full === at ? {at} : {at, kind: 'incremental', base: previous, full}));
		previous = at;
	}
	return listing;
}

describe('chains', () => {
	test('a kept incremental keeps its base and its full; nothing else of the chain', () => {
		// Sundays in Nov 2026: 1, 8, 15, 22, 29. Keeping the 3 newest days (28, 29, 30) keeps
		// 30 (incremental on 29) and 29 (a full); 28 is an incremental on 27 … back to the full of the 22nd.
		const plan = planRetention(weeklyChains(), {daily: 3});
		expect(Object.fromEntries(plan.decisions.filter(decision => decision.keep).map(decision => [decision.name, decision.reasons]))).toEqual({
			'2026-11-30 03:00': ['daily 2026-11-30'],
			'2026-11-29 03:00': ['daily 2026-11-29', "needed by 2026-11-30 03:00's chain"],
			'2026-11-28 03:00': ['daily 2026-11-28'],
			'2026-11-27 03:00': ["needed by 2026-11-28 03:00's chain"],
			'2026-11-26 03:00': ["needed by 2026-11-28 03:00's chain"],
			'2026-11-25 03:00': ["needed by 2026-11-28 03:00's chain"],
			'2026-11-24 03:00': ["needed by 2026-11-28 03:00's chain"],
			'2026-11-23 03:00': ["needed by 2026-11-28 03:00's chain"],
			'2026-11-22 03:00': ["needed by 2026-11-28 03:00's chain"],
		});
		// Removed: Nov 1–21, incrementals before the full each depends on.
		expect(plan.remove).toBe(21);
		const order = plan.removalOrder;
		expect(order.indexOf('b-202611210300.zip')).toBeLessThan(order.indexOf('b-202611150300.zip'));
		expect(order.indexOf('b-202611020300.zip')).toBeLessThan(order.indexOf('b-202611010300.zip'));
	});

	test('a chain across scope groups is still kept (a chain is judged whole)', () => {
		const listing = [backup({at: '2026-11-01 03:00'}), {...backup({at: '2026-11-02 03:00', kind: 'incremental', base: '2026-11-01 03:00', full: '2026-11-01 03:00'}), fileName: 'odd.zip'}];
		listing[1]!.summary.categories = ['users'];
		const plan = planRetention(listing, {last: 1});
		expect(plan.groups.map(group => group.label)).toEqual(['all tenants · users', 'all tenants · all categories']);
		expect(plan.remove).toBe(0);
		expect(plan.decisions.find(decision => decision.name === '2026-11-01 03:00')!.reasons).toEqual(['last 1', "needed by 2026-11-02 03:00's chain"]);
	});

	test('an incremental whose base is missing, or whose chain loops, is kept and flagged', () => {
		const listing = [
			backup({at: '2026-11-30 03:00'}),
			backup({at: '2026-11-20 03:00', kind: 'incremental', base: 'gone', full: 'gone'}),
			backup({at: '2026-11-19 03:00', kind: 'incremental', base: '2026-11-20 03:00', full: 'gone'}),
			backup({at: '2026-11-10 03:00', kind: 'incremental', base: '2026-11-09 03:00', full: 'x'}),
			backup({at: '2026-11-09 03:00', kind: 'incremental', base: '2026-11-10 03:00', full: 'x'}),
			backup({at: '2026-11-01 03:00'}),
		];
		const plan = planRetention(listing, {last: 1});
		const byName = Object.fromEntries(plan.decisions.map(decision => [decision.name, decision]));
		expect(byName['2026-11-20 03:00']).toMatchObject({keep: true, warning: 'chain broken: its base gone is not at this destination; never removed'});
		expect(byName['2026-11-19 03:00']).toMatchObject({keep: true, warning: 'chain broken at 2026-11-20 03:00: its base gone is not at this destination; never removed'});
		expect(byName['2026-11-10 03:00']!.warning).toMatch(/chain loops/);
		expect(byName['2026-11-09 03:00']!.warning).toMatch(/chain loops/);
		expect(plan.removalOrder).toEqual(['b-202611010300.zip']);
	});

	test('unreadable listings are never removed, and are reported', () => {
		const listing: RetentionCandidate[] = [backup({at: '2026-11-30 03:00'}), backup({at: '2026-11-29 03:00'}), {fileName: 'damaged.zip', error: 'zip: central directory not found'}, {fileName: 'bad-date.zip', summary: {...backup({at: '2026-11-01 03:00'}).summary, createdAt: 'yesterday'}}];
		const plan = planRetention(listing, {last: 1});
		// An unreadable backup may be an incremental built on any other: nothing is removed meanwhile.
		expect(plan.removalOrder).toEqual([]);
		expect(plan.decisions.find(decision => decision.fileName === 'b-202611290300.zip')).toMatchObject({keep: true, reasons: [], warning: 'kept: 2 backups here cannot be read and may be an incremental built on this one; repair or delete them (lifeboat backup delete) to prune'});
		expect(planRetention(listing.filter(candidate => candidate.summary && candidate.summary.createdAt !== 'yesterday'), {last: 1}).removalOrder).toEqual(['b-202611290300.zip']);
		expect(plan.decisions.slice(-2)).toEqual([
			{fileName: 'damaged.zip', name: null, id: null, createdAt: null, backupKind: null, group: null, keep: true, reasons: [], warning: 'unreadable (zip: central directory not found): never removed'},
			{fileName: 'bad-date.zip', name: null, id: null, createdAt: null, backupKind: null, group: null, keep: true, reasons: [], warning: 'unreadable (its creation date or id is not readable): never removed'},
		]);
		expect(plan.keep).toBe(4);
	});

	test('the base of a backup that cannot be read (say, a header read that failed for a moment) is never removed', () => {
		const listing: RetentionCandidate[] = [backup({at: '2026-11-30 03:00'}), {fileName: 'i1.zip', error: 'reading its header: connection reset'}, backup({at: '2026-11-28 03:00'})];
		const plan = planRetention(listing, {last: 1});
		expect(plan.removalOrder).toEqual([]);
		expect(plan.remove).toBe(0);
	});

	test('each scope is its own group: a tenant backup never makes a whole-gateway one removable', () => {
		const listing = [backup({at: '2026-11-30 03:00', tenant: 'acme'}), backup({at: '2026-11-29 03:00'}), backup({at: '2026-11-28 03:00', tenant: 'acme'}), backup({at: '2026-11-27 03:00'}), backup({at: '2026-11-26 03:00', tenant: 'beta'})];
		const plan = planRetention(listing, {last: 1});
		expect(keptNames(plan)).toEqual(['2026-11-30 03:00', '2026-11-29 03:00', '2026-11-26 03:00']);
		expect(plan.groups).toEqual([
			{label: 'tenant acme · all categories', backups: 2, keep: 1, remove: 1},
			{label: 'all tenants · all categories', backups: 2, keep: 1, remove: 1},
			{label: 'tenant beta · all categories', backups: 1, keep: 1, remove: 0},
		]);
	});

	test('a tenant is its id: a slug that changed hands does not join two tenants\' backups, and a header without the id is a group of its own', () => {
		// acme (ten_1) was renamed; ten_2 took the slug "acme" and made two backups since.
		const listing = [
			backup({at: '2026-11-30 03:00', tenant: 'acme', tenantId: 'ten_2'}),
			backup({at: '2026-11-29 03:00', tenant: 'acme', tenantId: 'ten_2'}),
			backup({at: '2026-11-28 03:00', tenant: 'acme', tenantId: 'ten_1'}),
			backup({at: '2026-11-27 03:00', tenant: 'acme', tenantId: 'ten_1'}),
			// An encrypted backup whose header predates ids: its slug is all it says.
			backup({at: '2026-11-26 03:00', tenant: 'acme'}),
		];
		const plan = planRetention(listing, {last: 1});
		expect(keptNames(plan)).toEqual(['2026-11-30 03:00', '2026-11-28 03:00', '2026-11-26 03:00']);
		expect(plan.groups.map(group => [group.backups, group.keep])).toEqual([[2, 1], [2, 1], [1, 1]]);
		// ten_1 renamed to acme-inc and backed up since: its backups from before the rename stay a group
		// of their own, as when groups were by slug (grouping by id alone would remove more).
		const renamed = [backup({at: '2026-12-02 03:00', tenant: 'acme-inc', tenantId: 'ten_1'}), ...listing];
		expect(keptNames(planRetention(renamed, {last: 1}))).toEqual(['2026-12-02 03:00', '2026-11-30 03:00', '2026-11-28 03:00', '2026-11-26 03:00']);
		// A schedule of ten_2 prunes only ten_2's backups.
		const scoped = planRetention(listing, {last: 1}, {scope: {gateway: null, tenant: 'acme', tenantId: 'ten_2', categories: listing[0]!.summary.categories}});
		expect(scoped.removalOrder).toEqual(['b-202611290300-acme.zip']);
	});

	test('each gateway is its own group: one gateway\'s backups (or its schedule\'s prune) never make another\'s go', () => {
		// Two gateways back up to one destination, nightly; gw-b's newest is older than all of gw-a's.
		const listing = [
			backup({at: '2026-11-30 03:00', gateway: 'gw-a'}),
			backup({at: '2026-11-29 03:00', gateway: 'gw-a'}),
			backup({at: '2026-11-28 03:00', gateway: 'gw-a'}),
			backup({at: '2026-11-20 03:00', gateway: 'gw-b'}),
			backup({at: '2026-11-19 03:00', gateway: 'gw-b'}),
			// An encrypted backup whose header predates gateway keys: a group of its own, never judged with either.
			backup({at: '2026-11-18 03:00'}),
		];
		const plan = planRetention(listing, {last: 2});
		expect(keptNames(plan)).toEqual(['2026-11-30 03:00', '2026-11-29 03:00', '2026-11-20 03:00', '2026-11-19 03:00', '2026-11-18 03:00']);
		expect(plan.groups).toEqual([
			{label: 'gateway gw-a · all tenants · all categories', backups: 3, keep: 2, remove: 1},
			{label: 'gateway gw-b · all tenants · all categories', backups: 2, keep: 2, remove: 0},
			{label: 'gateway unknown (an older encrypted header) · all tenants · all categories', backups: 1, keep: 1, remove: 0},
		]);
		// gw-a's schedule with --keep-last 1 prunes gw-a's backups only.
		const categories = listing[0]!.summary.categories;
		const scoped = planRetention(listing, {last: 1}, {scope: {gateway: 'gw-a', tenant: null, tenantId: null, categories}});
		expect(scoped.removalOrder).toEqual(['b-202611290300-gw-a.zip', 'b-202611280300-gw-a.zip']);
		expect(scoped.decisions.find(decision => decision.fileName === 'b-202611200300-gw-b.zip')?.reasons).toEqual(['another scope than gateway gw-a · all tenants · all categories']);
		// One gateway only: labels as before, without the gateway.
		expect(planRetention(listing.slice(0, 3), {last: 1}).groups.map(group => group.label)).toEqual(['all tenants · all categories']);
	});
});

// ---- property: any backups with chains, any policy ----

type Spec = {minutes: number; incremental: boolean; baseIndex: number; missingBase: boolean; tenant: number; gateway: number};

const specs = fc.array(fc.record({minutes: fc.integer({min: 0, max: 3 * 365 * 24 * 60}), incremental: fc.boolean(), baseIndex: fc.nat(), missingBase: fc.boolean({}).map(flag => flag && Math.random() < 0.1), tenant: fc.integer({min: 0, max: 2}), gateway: fc.integer({min: 0, max: 2})}), {maxLength: 60});
const count = fc.oneof(fc.constant(0), fc.integer({min: 0, max: 12}), fc.constant(Number.POSITIVE_INFINITY));
const policies: fc.Arbitrary<RetentionPolicy> = fc.record(
	{last: count, hourly: count, daily: count, weekly: count, monthly: count, yearly: count, within: fc.record({years: fc.integer({min: 0, max: 1}), months: fc.integer({min: 0, max: 3}), days: fc.integer({min: 0, max: 40}), hours: fc.integer({min: 0, max: 48})})},
	{requiredKeys: []},
);

/** Backups in creation order; an incremental's base is an earlier backup (or, sometimes, one not listed). */
function build(list: Spec[]): ReturnType<typeof backup>[] {
	const sorted = [...list].sort((a, b) => a.minutes - b.minutes);
	const out: ReturnType<typeof backup>[] = [];
	sorted.forEach((spec, index) => {
		const at = new Date(Date.UTC(2024, 0, 1) + spec.minutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
		const id = `id-${index}`;
		const base = out[spec.baseIndex % Math.max(1, out.length)];
		const tenant = spec.tenant === 0 ? undefined : `t${spec.tenant}`;
		// Two gateways writing to one destination, and encrypted headers that predate gateway keys.
		const gateway = spec.gateway === 0 ? undefined : `gw${spec.gateway}`;
		if (!spec.incremental || !base) out.push({...backup({at, id, tenant, gateway}), fileName: `${id}.zip`});
		else out.push({...backup({at, id, tenant, gateway, kind: 'incremental', base: spec.missingBase ? 'never-listed' : base.summary.id, full: base.summary.fullBackupId ?? base.summary.id}), fileName: `${id}.zip`});
	});
	return out;
}

const runs = Math.max(1, Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 0) * 10 || 300);
const seed = process.env['LIFEBOAT_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['LIFEBOAT_PROPERTY_SEED']);

test('property: every kept backup has its whole chain kept; deletion order never strands one; pruning again removes nothing', () => {
	fc.assert(
		fc.property(specs, policies, (list, policy) => {
			const listing = build(list);
			const plan = planRetention(listing, policy);
			const keep = new Set(plan.decisions.filter(decision => decision.keep).map(decision => decision.fileName));
			const byId = new Map(listing.map(entry => [entry.summary.id, entry]));
			for (const entry of listing) {
				if (!keep.has(entry.fileName)) continue;
				for (let link = byId.get(entry.summary.baseBackupId ?? ''); link; link = byId.get(link.summary.baseBackupId ?? '')) expect(keep.has(link.fileName)).toBe(true);
			}
			// Every listing is decided once; the removal order is exactly the removed set.
			expect(plan.decisions).toHaveLength(listing.length);
			expect([...plan.removalOrder].sort()).toEqual(listing.filter(entry => !keep.has(entry.fileName)).map(entry => entry.fileName).sort());
			// Deleting a prefix of the order never leaves an incremental whose base is already gone.
			const position = new Map(plan.removalOrder.map((name, index) => [name, index]));
			for (const entry of listing) {
				const base = byId.get(entry.summary.baseBackupId ?? '');
				if (base && position.has(base.fileName)) expect(position.get(entry.fileName)).toBeLessThan(position.get(base.fileName)!);
			}
			if (plan.emptyPolicy) expect(plan.remove).toBe(0);
			else if (listing.length > 0) expect(plan.keep).toBeGreaterThan(0);
			// Any policy keeps the newest backup of every gateway's every scope: no gateway loses its last backup to another's.
			if (!plan.emptyPolicy) {
				const newest = new Map<string, (typeof listing)[number]>();
				for (const entry of listing) {
					const key = `${entry.summary.gateway ?? '-'} ${entry.summary.tenant ?? '-'}`;
					const seen = newest.get(key);
					if (!seen || Date.parse(entry.summary.createdAt) > Date.parse(seen.summary.createdAt) || (entry.summary.createdAt === seen.summary.createdAt && entry.fileName > seen.fileName)) newest.set(key, entry);
				}
				for (const entry of newest.values()) expect(keep.has(entry.fileName)).toBe(true);
			}
			const again = planRetention(listing.filter(entry => keep.has(entry.fileName)), policy);
			expect(again.remove).toBe(0);
		}),
		{numRuns: runs, seed},
	);
});
