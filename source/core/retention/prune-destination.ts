/**
 * Applies a retention policy at a destination: list (summaries only), plan (planRetention), and
 * delete what the plan removes, one backup at a time through deleteBackup (which deletes only what
 * really is a Lifeboat backup). The order is the plan's removalOrder: an incremental is deleted
 * before any backup its chain needs, so a crash or an interrupt mid-prune leaves every chain that
 * is still there whole, and a kept chain is never touched at all.
 *
 * The schedule daemon calls pruneDestination after each successful backup; the CLI plans first
 * (planPrune), asks, then applies the same plan (applyPrune).
 */
import {missingLink} from '../backup/backup-chain.js';
import {deleteBackup} from '../backup/delete-backup.js';
import {listDestination, type BackupListing} from '../backup/list-backups.js';
import type {Destination, RetryNote} from '../destinations/destination.js';
import {LifeboatError} from '../errors.js';
import {countOf} from '../format.js';
import {planRetention, type RetentionPlan, type RetentionScope} from './plan-retention.js';
import type {RetentionPolicy} from './retention-policy.js';

export type PruneProgress =
	| {phase: 'listing'}
	| {phase: 'planned'; keep: number; remove: number}
	| {phase: 'deleting'; fileName: string; index: number; of: number}
	| {phase: 'deleted'; fileName: string; size: number; index: number; of: number};

export type PruneOptions = {
	/** Plan only: nothing is deleted. */
	dryRun?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: PruneProgress) => void;
	onRetry?: (note: RetryNote) => void;
	/** Remove only backups of this scope (a schedule's own); the others are kept. */
	scope?: RetentionScope;
	/** The id of a backup never removed (the one a scheduled run has just written), nor its chain. */
	protect?: string;
};

export type PrunePlan = {destination: string; listings: BackupListing[]; plan: RetentionPlan};

export type PruneResult = PrunePlan & {
	dryRun: boolean;
	/** What was deleted, in order (empty on a dry run). */
	deleted: Array<{fileName: string; location: string; size: number}>;
	/** Bytes the removed backups take (deleted, or that a dry run would free). */
	freedBytes: number;
};

export async function planPrune(destination: Destination, policy: RetentionPolicy, options: Pick<PruneOptions, 'onProgress' | 'onRetry' | 'scope' | 'protect'> = {}): Promise<PrunePlan> {
	options.onProgress?.({phase: 'listing'});
	const listings = await listDestination(destination, {onRetry: options.onRetry});
	const plan = planRetention(listings, policy, {scope: options.scope, protect: options.protect});
	options.onProgress?.({phase: 'planned', keep: plan.keep, remove: plan.remove});
	return {destination: destination.label, listings, plan};
}

/**
 * Deletes what a plan removes, in its order. Stops at the first failure (a LifeboatError naming
 * how many were deleted before it): going on could delete a backup an undeleted incremental
 * still needs. A prune stopped after deleting some (a failure, an interrupt, the chain check
 * below) says which in its error's `done` (`deleted`, `kept`, `freedBytes`: the `--json` answer
 * and a schedule's record carry them).
 */
export async function applyPrune(destination: Destination, planned: PrunePlan, options: Omit<PruneOptions, 'dryRun'> = {}): Promise<PruneResult> {
	const deleted: PruneResult['deleted'] = [];
	try {
		await deleteInOrder(destination, planned, options, deleted);
	} catch (error) {
		if (!(error instanceof LifeboatError) || deleted.length === 0) throw error;
		// Every backup not deleted is still there: kept.
		throw new LifeboatError(error.code, error.message, {cause: error, done: {deleted, kept: planned.plan.keep + planned.plan.remove - deleted.length, freedBytes: freedBy(deleted)}});
	}
	return {...planned, dryRun: false, deleted, freedBytes: freedBy(deleted)};
}

function freedBy(deleted: PruneResult['deleted']): number {
	return deleted.reduce((sum, entry) => sum + entry.size, 0);
}

/** applyPrune's deletions, each pushed to `deleted` as it is done. */
async function deleteInOrder(destination: Destination, planned: PrunePlan, options: Omit<PruneOptions, 'dryRun'>, deleted: PruneResult['deleted']): Promise<void> {
	const order = planned.plan.removalOrder;
	const checkChains = async () => {
		if (deleted.length > 0) await refuseStrandedIncrementals(destination, planned, deleted.map(entry => entry.fileName));
	};
	for (const [index, fileName] of order.entries()) {
		if (options.signal?.aborted) {
			await checkChains();
			throw interrupted(options.signal, deleted.length, order.length);
		}
		options.onProgress?.({phase: 'deleting', fileName, index, of: order.length});
		try {
			// The plan's order deletes an incremental before what its chain needs, and keeps every kept chain whole.
			const object = await deleteBackup(destination, fileName, {signal: options.signal, breakChains: true});
			deleted.push({fileName, location: destination.locate(fileName), size: object.size});
			options.onProgress?.({phase: 'deleted', fileName, size: object.size, index, of: order.length});
		} catch (error) {
			// What was deleted before the failure may be a base an incremental written meanwhile needs.
			await checkChains();
			if (options.signal?.aborted) throw interrupted(options.signal, deleted.length, order.length);
			if (error instanceof LifeboatError) throw new LifeboatError(error.code, `${error.message} (prune stopped: ${deleted.length} of ${order.length} backups deleted before it; every kept chain is whole)`, {cause: error});
			throw error;
		}
	}
	await checkChains();
}

/**
 * An incremental written while the prune ran (after its listing) may be built on a backup it has
 * just deleted: the plan could not know. Listed again, such an incremental fails the prune (exit
 * 4) naming it, rather than leaving a chain that cannot be restored behind an exit 0. (The
 * incremental's own run checks its chain after publishing too, and removes itself if it lost it:
 * one of the two always sees it.)
 */
async function refuseStrandedIncrementals(destination: Destination, planned: PrunePlan, deleted: readonly string[]): Promise<void> {
	const gone = new Set(deleted);
	const deletedIds = new Map(planned.listings.filter(listing => gone.has(listing.fileName) && listing.summary).map(listing => [listing.summary!.id, listing.summary!.name]));
	const known = new Set(planned.listings.map(listing => listing.fileName));
	let now: BackupListing[];
	try {
		now = await listDestination(destination);
	} catch (error) {
		// What was deleted is deleted; a listing failing now only leaves this check undone.
		if (error instanceof LifeboatError) return;
		throw error;
	}
	for (const listing of now) {
		const summary = listing.summary;
		if (known.has(listing.fileName) || !summary || summary.backupKind !== 'incremental' || !summary.baseBackupId) continue;
		const lost = missingLink(now, summary.baseBackupId);
		if (lost === undefined || !deletedIds.has(lost)) continue;
		throw new LifeboatError('destination', `${destination.locate(listing.fileName)} was written while this prune ran, on ${deletedIds.get(lost)}, which the prune deleted (${countOf(deleted.length, 'backup')} deleted): its chain is broken and it cannot be restored; delete it and make a full backup`);
	}
}

function sumSizes(names: readonly string[], sizes: Map<string, number>): number {
	return names.reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0);
}

function interrupted(signal: AbortSignal, done: number, of: number): LifeboatError {
	const reason = signal.reason instanceof LifeboatError ? signal.reason.message.replace(/; nothing partial was left behind$/, '') : 'Interrupted';
	return new LifeboatError('interrupted', `${reason}: prune stopped after deleting ${done} of ${of} backups; every kept chain is whole`);
}

/** List, plan and (unless dryRun) delete: the one call the schedule daemon makes after a backup. */
export async function pruneDestination(destination: Destination, policy: RetentionPolicy, options: PruneOptions = {}): Promise<PruneResult> {
	const planned = await planPrune(destination, policy, options);
	if (options.dryRun) return {...planned, dryRun: true, deleted: [], freedBytes: sumSizes(planned.plan.removalOrder, new Map(planned.listings.map(listing => [listing.fileName, listing.size])))};
	return applyPrune(destination, planned, options);
}
