/**
 * Which backups a retention policy keeps: restic's `forget` rules, exactly, over backup
 * summaries. Pure: no clock, no I/O (periods are UTC, --keep-within counts back from the newest
 * backup of the group, as restic does), so the same listing always gives the same plan.
 *
 * - Backups are grouped by scope (the gateway that made them: its host name and data folder; the
 *   tenant, or the whole gateway; and the categories they hold), as restic groups snapshots by
 *   host and paths: a one-tenant backup never makes a whole-gateway one removable, nor the other
 *   way round, nor one gateway's backups another's.
 * - In each group, newest first, every rule keeps a backup whose period differs from the last one
 *   that rule kept, until its count is used; the rules are ORed; a rule with count left at the
 *   oldest backup keeps that one too. `last` keeps the N newest.
 * - Chains: every backup a kept incremental needs (its base, the base's base… down to the full)
 *   is kept, whatever its group. An incremental whose chain cannot be followed to its full here
 *   (a missing link, a loop) is never removed, only flagged: its base may be a backup this
 *   listing could not read.
 * - A listing whose summary could not be read (damaged, not readable with these credentials) is
 *   never removed, only reported. An empty policy keeps everything.
 */
import {instantOf, type BackupSummary} from '../archive/archive-format.js';
import {groupBy} from '../group-by.js';
import {CATEGORIES} from '../store/schema.js';
import {periodKey} from './period-keys.js';
import {COUNT_RULES, durationBefore, formatDuration, hasDuration, isEmptyPolicy, type RetentionPolicy} from './retention-policy.js';
import {compareCodeUnits} from '../format.js';

export type RetentionSummary = Pick<BackupSummary, 'id' | 'name' | 'createdAt' | 'backupKind' | 'baseBackupId' | 'fullBackupId' | 'tenant' | 'tenantId' | 'gateway' | 'categories'>;

/** One backup at a destination, as listDestination gives it (a BackupListing fits). */
export type RetentionCandidate = {fileName: string; summary?: RetentionSummary; error?: string};

export type RetentionDecision = {
	fileName: string;
	/** From the summary (null for an unreadable listing). */
	name: string | null;
	id: string | null;
	createdAt: string | null;
	backupKind: 'full' | 'incremental' | null;
	/** The scope group it was judged in ("all tenants · all categories"); null when unreadable. */
	group: string | null;
	keep: boolean;
	/** Every rule that keeps it ("daily 2026-11-30", "weekly 2026-W49", "last 1", "within 30d", "needed by X's chain"). */
	reasons: string[];
	/** Why it is kept though no rule asks for it, or something to look at: unreadable, broken chain. */
	warning?: string;
};

export type RetentionGroup = {label: string; backups: number; keep: number; remove: number};

export type RetentionPlan = {
	policy: RetentionPolicy;
	/** No rule given (all counts 0, no duration): nothing is removed. */
	emptyPolicy: boolean;
	/** Group by group (newest group first), newest first in each; unreadable listings last. */
	decisions: RetentionDecision[];
	groups: RetentionGroup[];
	/** File names to delete, in a safe order: an incremental before the backups its chain needs. */
	removalOrder: string[];
	keep: number;
	remove: number;
};

type Entry = {decision: RetentionDecision; time: number; summary: RetentionSummary; scope: string};

/**
 * One backup scope: the gateway that made it (BackupSummary's `gateway`), its tenant (slug and id,
 * null for every tenant) and its categories.
 */
export type RetentionScope = {gateway: string | null; tenant: string | null; tenantId?: string | null; categories: readonly string[]};

/**
 * `options.scope` limits removals to that scope's group (a schedule prunes only the backups it
 * makes): every other backup is kept, and still protects the chain it needs. `options.protect`
 * names a backup (by id) kept whatever the rules say, with its chain.
 */
export function planRetention(candidates: readonly RetentionCandidate[], policy: RetentionPolicy, options: {scope?: RetentionScope; protect?: string} = {}): RetentionPlan {
	const emptyPolicy = isEmptyPolicy(policy);
	const {entries, unreadable} = readEntries(candidates);
	const groups = groupByScope(entries);
	const only = options.scope ? scopeOf({gateway: options.scope.gateway, tenant: options.scope.tenant, tenantId: options.scope.tenantId, categories: [...options.scope.categories]} as RetentionSummary, gatewaysIn(entries, options.scope.gateway)) : undefined;
	for (const group of groups) {
		if (only && group[0]!.scope !== only.key) for (const entry of group) entry.decision.reasons.push(`another scope than ${only.label}`);
		else applyRules(group, policy, emptyPolicy);
	}
	// A run's own backup is newer than anything the rules count from, unless another is dated in the future.
	for (const entry of entries) if (options.protect !== undefined && entry.summary.id === options.protect) entry.decision.reasons.push('written by this run');
	keepChains(entries);
	keepAllWhileUnreadable(entries, unreadable.length);
	for (const entry of entries) entry.decision.keep = entry.decision.reasons.length > 0 || entry.decision.warning !== undefined;
	const decisions = [...groups.flat().map(entry => entry.decision), ...unreadable];
	const removed = entries.filter(entry => !entry.decision.keep);
	return {
		policy,
		emptyPolicy,
		decisions,
		groups: groups.map(group => ({label: group[0]!.decision.group!, backups: group.length, keep: group.filter(entry => entry.decision.keep).length, remove: group.filter(entry => !entry.decision.keep).length})),
		removalOrder: removalOrder(removed),
		keep: decisions.length - removed.length,
		remove: removed.length,
	};
}

/**
 * A backup that cannot be read may be an incremental built on any other (a damaged header, or a
 * read that failed for a moment on a remote): while one is there, nothing is removed, so no kept
 * backup's chain can lose a link prune could not see.
 */
function keepAllWhileUnreadable(entries: readonly Entry[], unreadable: number): void {
	if (unreadable === 0) return;
	for (const entry of entries) {
		if (entry.decision.reasons.length > 0 || entry.decision.warning !== undefined) continue;
		entry.decision.warning = `kept: ${unreadable === 1 ? 'a backup here cannot' : `${unreadable} backups here cannot`} be read and may be an incremental built on this one; repair or delete ${unreadable === 1 ? 'it' : 'them'} (lifeboat backup delete) to prune`;
	}
}

function readEntries(candidates: readonly RetentionCandidate[]): {entries: Entry[]; unreadable: RetentionDecision[]} {
	const readable: Array<{candidate: RetentionCandidate; summary: RetentionSummary; time: number}> = [];
	const unreadable: RetentionDecision[] = [];
	for (const candidate of candidates) {
		const summary = candidate.summary;
		const time = summary && typeof summary.createdAt === 'string' ? instantOf(summary.createdAt) : Number.NaN;
		if (!summary || typeof summary.id !== 'string' || !Number.isFinite(time)) {
			const why = candidate.error ?? (summary ? 'its creation date or id is not readable' : 'no summary');
			unreadable.push({fileName: candidate.fileName, name: null, id: null, createdAt: null, backupKind: null, group: null, keep: true, reasons: [], warning: `unreadable (${why}): never removed`});
			continue;
		}
		readable.push({candidate, summary, time});
	}
	// Where a destination holds more than one gateway's backups, each group's label says whose.
	const gateways = new Set(readable.map(({summary}) => gatewayOf(summary))).size;
	const entries = readable.map(({candidate, summary, time}): Entry => {
		const scope = scopeOf(summary, gateways);
		const decision: RetentionDecision = {fileName: candidate.fileName, name: summary.name, id: summary.id, createdAt: summary.createdAt, backupKind: summary.backupKind === 'incremental' ? 'incremental' : 'full', group: scope.label, keep: false, reasons: []};
		return {decision, time, summary, scope: scope.key};
	});
	return {entries, unreadable};
}

const ALL_CATEGORIES = CATEGORIES.map(category => category.id as string).sort();

/** A summary's gateway key: null where its header predates them (a group of its own). */
function gatewayOf(summary: Pick<RetentionSummary, 'gateway'>): string | null {
	return typeof summary.gateway === 'string' ? summary.gateway : null;
}

/** How many gateways the entries and the scope come from. */
function gatewaysIn(entries: readonly Entry[], scopeGateway: string | null): number {
	const gateways = new Set(entries.map(entry => gatewayOf(entry.summary)));
	gateways.add(scopeGateway);
	return gateways.size;
}

/**
 * The group a backup is judged in: its gateway, tenant and categories. One gateway's backups
 * never make another's go (two gateways writing to one destination, or a schedule of one pruning
 * there). `gateways`: how many there are, so the label names the gateway only when it tells
 * groups apart.
 */
function scopeOf(summary: RetentionSummary, gateways = 1): {key: string; label: string} {
	const categories = [...new Set(Array.isArray(summary.categories) ? summary.categories.map(String) : [])].sort();
	const tenant = typeof summary.tenant === 'string' ? summary.tenant : null;
	const gateway = gatewayOf(summary);
	const all = categories.length === ALL_CATEGORIES.length && categories.every((category, index) => category === ALL_CATEGORIES[index]);
	const label = `${gateways > 1 ? `gateway ${gateway ?? 'unknown (an older encrypted header)'} · ` : ''}${tenant === null ? 'all tenants' : `tenant ${tenant}`} · ${all ? 'all categories' : categories.join(',') || 'no categories'}`;
	// A tenant by its id and its slug where the summary has both: a slug can change hands (a renamed
	// tenant's, or a deleted one's, taken by another), and one tenant's backups never make another's
	// go. The slug stays in the key, so groups are only ever split, never merged, against grouping
	// by slug alone: a renamed tenant's backups from before and after the rename are judged apart,
	// as they were (an encrypted header written before ids has only the slug: a group of its own).
	const tenantKey = tenant === null ? null : typeof summary.tenantId === 'string' ? ['id', summary.tenantId, tenant] : ['slug', tenant];
	return {key: JSON.stringify([gateway, tenantKey, categories]), label};
}

/** Newest first by time, then by file name (a total order, so a plan never depends on listing order). */
function newestFirst(a: Entry, b: Entry): number {
	return b.time - a.time || compareCodeUnits(b.decision.fileName, a.decision.fileName);
}

function groupByScope(entries: Entry[]): Entry[][] {
	return [...groupBy([...entries].sort(newestFirst), entry => entry.scope).values()];
}

/** restic's ApplyPolicy over one group, sorted newest first. */
function applyRules(group: Entry[], policy: RetentionPolicy, emptyPolicy: boolean): void {
	if (emptyPolicy) {
		for (const entry of group) entry.decision.reasons.push('policy is empty');
		return;
	}
	const cutoff = hasDuration(policy.within) ? durationBefore(group[0]!.time, policy.within) : undefined;
	const rules = COUNT_RULES.map(rule => ({rule, left: policy[rule] ?? 0, last: undefined as string | undefined}));
	group.forEach((entry, index) => {
		const oldest = index === group.length - 1;
		if (cutoff !== undefined && entry.time > cutoff) entry.decision.reasons.push(`within ${formatDuration(policy.within!)}`);
		for (const state of rules) {
			if (!(state.left > 0)) continue;
			const key = state.rule === 'last' ? String(index + 1) : periodKey(state.rule, entry.time);
			if (key === state.last && !oldest) continue;
			entry.decision.reasons.push(`${state.rule} ${key}${key === state.last ? ' (oldest, count left)' : ''}`);
			state.last = key;
			state.left--;
		}
	});
}

/**
 * Keeps what every kept incremental's chain needs. Kept backups are walked newest first; a walk
 * stops at a backup an earlier walk already marked (its own chain is marked already), so the
 * whole pass is linear in the number of backups. An incremental whose chain is broken is kept
 * (flagged) and keeps what its chain reaches.
 */
function keepChains(entries: Entry[]): void {
	const byId = groupBy(entries, entry => entry.summary.id);
	const broken = brokenChains(entries, byId);
	for (const [entry, warning] of broken) entry.decision.warning = warning;
	const marked = new Set<Entry>();
	for (const origin of [...entries].sort(newestFirst)) {
		if (origin.decision.reasons.length === 0 && !broken.has(origin) && !marked.has(origin)) continue;
		const seen = new Set<Entry>([origin]);
		let current = origin;
		while (current.summary.backupKind === 'incremental') {
			const bases = baseOf(current, byId);
			if (!bases || bases.some(base => seen.has(base))) break;
			const fresh = bases.filter(base => !marked.has(base));
			for (const base of fresh) {
				seen.add(base);
				marked.add(base);
				base.decision.reasons.push(`needed by ${origin.decision.name}'s chain`);
			}
			if (fresh.length === 0) break;
			current = bases[0]!;
		}
	}
}

function baseOf(entry: Entry, byId: Map<string, Entry[]>): Entry[] | undefined {
	const baseId = entry.summary.baseBackupId;
	return typeof baseId === 'string' ? byId.get(baseId) : undefined;
}

/** The incrementals whose chain cannot be followed to a full backup here, each with why (memoised: linear). */
function brokenChains(entries: Entry[], byId: Map<string, Entry[]>): Map<Entry, string> {
	const state = new Map<Entry, {at: Entry; link: string} | null>();
	for (const start of entries) {
		const path: Entry[] = [];
		const onPath = new Set<Entry>();
		let current: Entry | undefined = start;
		let result: {at: Entry; link: string} | null = null;
		while (current && !state.has(current)) {
			if (current.summary.backupKind !== 'incremental') {
				state.set(current, null);
				break;
			}
			path.push(current);
			onPath.add(current);
			const bases = baseOf(current, byId);
			if (!bases) {
				result = {at: current, link: `its base ${String(current.summary.baseBackupId)} is not at this destination`};
				break;
			}
			if (bases.some(base => onPath.has(base))) {
				result = {at: current, link: 'its chain loops back to itself'};
				break;
			}
			current = bases[0];
		}
		if (!result && current && state.has(current)) result = state.get(current)!;
		for (const entry of path) state.set(entry, result);
	}
	const broken = new Map<Entry, string>();
	for (const [entry, cause] of state) {
		if (!cause) continue;
		const where = cause.at === entry ? '' : ` at ${cause.at.decision.name}`;
		broken.set(entry, `chain broken${where}: ${cause.link}; never removed`);
	}
	return broken;
}

/**
 * Newest first, but never a backup before an incremental (also removed) that is based on it:
 * Kahn's topological order with the newest ready backup first (a heap), so hostile dates (a base
 * newer than its incremental) cost O(n log n), not a pass per link.
 */
function removalOrder(removed: Entry[]): string[] {
	const pending = [...removed].sort(newestFirst);
	const ids = new Set(pending.map(entry => entry.summary.id));
	const baseOfEntry = (entry: Entry) => (entry.summary.backupKind === 'incremental' && typeof entry.summary.baseBackupId === 'string' && ids.has(entry.summary.baseBackupId) && entry.summary.baseBackupId !== entry.summary.id ? entry.summary.baseBackupId : undefined);
	const waiting = new Map<string, number>();
	const positions = groupBy(pending, entry => entry.summary.id, (_entry, index) => index);
	for (const entry of pending) {
		const base = baseOfEntry(entry);
		if (base !== undefined) waiting.set(base, (waiting.get(base) ?? 0) + 1);
	}
	const heap = new MinHeap();
	pending.forEach((entry, index) => (waiting.get(entry.summary.id) ?? 0) === 0 && heap.push(index));
	const done = new Set<number>();
	const order: string[] = [];
	let scan = 0;
	while (order.length < pending.length) {
		// A loop of removed incrementals (hostile metadata) leaves none ready: take the newest left.
		if (heap.size === 0) {
			while (done.has(scan)) scan++;
			heap.push(scan);
		}
		const index = heap.pop();
		if (done.has(index)) continue;
		done.add(index);
		order.push(pending[index]!.decision.fileName);
		const base = baseOfEntry(pending[index]!);
		if (base === undefined) continue;
		const left = waiting.get(base)! - 1;
		waiting.set(base, left);
		if (left === 0) for (const position of positions.get(base) ?? []) heap.push(position);
	}
	return order;
}

class MinHeap {
	private readonly items: number[] = [];

	get size(): number {
		return this.items.length;
	}

	push(value: number): void {
		const items = this.items;
		items.push(value);
		for (let child = items.length - 1; child > 0; ) {
			const parent = (child - 1) >> 1;
			if (items[parent]! <= items[child]!) break;
			[items[parent], items[child]] = [items[child]!, items[parent]!];
			child = parent;
		}
	}

	pop(): number {
		const items = this.items;
		const top = items[0]!;
		const last = items.pop()!;
		if (items.length > 0) {
			items[0] = last;
			for (let parent = 0; ; ) {
				const left = 2 * parent + 1;
				const smallest = [left, left + 1].filter(child => child < items.length).reduce((best, child) => (items[child]! < items[best]! ? child : best), parent);
				if (smallest === parent) break;
				[items[parent], items[smallest]] = [items[smallest]!, items[parent]!];
				parent = smallest;
			}
		}
		return top;
	}
}
