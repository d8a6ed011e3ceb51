import type {RedactionNote} from '../archive/archive-format.js';
import {countOf, formatBytes, formatCount} from '../format.js';
import {CATEGORY_IDS} from '../store/schema.js';
import type {CategoryPlan, DanglingReference, RestoreMode, RestorePlan, RestoreResult} from './restore-types.js';

/** What a conflict becomes in each mode, in a plan line ("3 conflicts — backup version overwrites live"). */
const PLANNED_CONFLICT: Record<RestoreMode, string> = {
	additive: 'would go to quarantine',
	overwrite: 'backup version overwrites live',
	replace: 'backup version replaces live',
};

/** What a conflict became, in a result line. */
const APPLIED_CONFLICT: Record<RestoreMode, string> = {
	additive: 'quarantined',
	overwrite: 'overwritten by the backup version',
	replace: 'replaced by the backup version',
};

/** One sentence per mode: what a restore in it does (the plan's header line, the console's mode list). */
export const MODE_SUMMARY: Record<RestoreMode, string> = {
	additive: 'adds new entries, leaves identical ones, puts conflicting ones in quarantine; never overwrites, never deletes',
	overwrite: "adds new entries, leaves identical ones, writes the backup's version over conflicting ones; never deletes",
	replace: "makes the data in the chosen categories equal to the backup's: overwrites conflicts and deletes what the backup lacks",
};

/** `users: 42 (3 conflicts — would go to quarantine)`, `documents: 189 files, 2.1 GB (0 conflicts)`. */
export function formatCategory(category: CategoryPlan, mode: RestorePlan['mode']): string {
	let head = `${category.category}: `;
	if (category.unit === 'files') head += `${countOf(category.total, 'file')}, ${formatBytes(category.bytes)}`;
	else {
		head += formatCount(category.total);
		if (category.unit !== category.category) head += ` ${category.unit}`;
		if (category.files > 0) head += `, ${countOf(category.files, 'file')}`;
	}
	const details: string[] = [];
	if (category.new > 0 && (category.identical > 0 || category.conflicts > 0 || category.toDelete > 0)) details.push(`${formatCount(category.new)} new`);
	if (category.identical > 0) details.push(`${formatCount(category.identical)} identical`);
	let conflicts = countOf(category.conflicts, 'conflict');
	if (category.conflicts > 0) conflicts += ` — ${PLANNED_CONFLICT[mode]}`;
	details.push(conflicts);
	if (category.toDelete > 0) details.push(`${formatCount(category.toDelete)} to delete`);
	return `${head} (${details.join(', ')})`;
}

/** "webhooks.secret ×9, connections.auth_token ×9, node_pairings.pairing_secret ×6 (re-pair)". */
export function formatSecrets(notes: readonly RedactionNote[]): string {
	return notes.map(note => `${note.field} ×${formatCount(note.count)}${note.action === 're-pair the node' ? ' (re-pair)' : note.action === 're-enroll 2FA' ? ' (re-enroll 2FA)' : ''}`).join(', ');
}

/** Human lines of a plan: what the mode does, one line per category, then totals. */
export function formatPlan(plan: RestorePlan): string[] {
	const lines = [`Mode ${plan.mode}: ${MODE_SUMMARY[plan.mode]}`, ...plan.categories.map(category => formatCategory(category, plan.mode))];
	const {totals} = plan;
	const parts = [`${formatCount(totals.new)} new`, `${formatCount(totals.identical)} identical`, countOf(totals.conflicts, 'conflict')];
	if (plan.mode === 'replace') parts.push(`${formatCount(totals.toDelete)} to delete`);
	lines.push(`Total: ${parts.join(', ')}`);
	lines.push(`Total size: ${formatBytes(totals.bytes)}`);
	const {twoFactor} = plan;
	if (twoFactor) {
		lines.push(
			twoFactor.restorable
				? `2FA: ${countOf(twoFactor.restored, 'secret')} ${twoFactor.restored === 1 ? 'comes' : 'come'} back from the sealed block (${countOf(twoFactor.users, 'user')} in the backup)`
				: `2FA: the sealed block cannot be opened here; ${countOf(twoFactor.users, 'user')} would re-enroll`,
		);
	}
	return lines;
}

/** Human lines of a finished restore. */
export function formatResult(result: RestoreResult): string[] {
	const {applied} = result;
	// The plan's terms (rows and files alike), so the numbers match the dry run's Total line.
	const conflicts = `${countOf(applied.conflicts, 'conflict')}${applied.conflicts > 0 ? ` (${APPLIED_CONFLICT[result.plan.mode]})` : ''}`;
	const lines = [
		`Restored (${result.plan.mode}) in ${(result.durationMs / 1000).toFixed(1)} s: ${formatCount(applied.new)} new, ${formatCount(applied.identical)} identical (left as they were), ${conflicts}, ${formatCount(applied.deleted)} deleted`,
	];
	if (result.quarantineDir) lines.push(`Quarantine: ${result.quarantineDir} (review: lifeboat quarantine show ${result.restoreId})`);
	if (result.secretsToReenter.length > 0) lines.push(`Re-enter: ${formatSecrets(result.secretsToReenter)}`);
	for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
	lines.push(`Restore id: ${result.restoreId}`);
	return lines;
}

/** `conversations.user_id → users ×30` */
function formatReference(reference: DanglingReference): string {
	return `${reference.table}.${reference.column} → ${reference.target} ×${formatCount(reference.count)}`;
}

/**
 * The plan warning for references the restore would leave dangling: which, how many, and the
 * --only list that keeps them whole (the restored categories plus those holding the targets).
 */
export function formatDangling(references: readonly DanglingReference[], restored: readonly string[]): string | undefined {
	if (references.length === 0) return undefined;
	const total = references.reduce((sum, reference) => sum + reference.count, 0);
	const fixing = CATEGORY_IDS.filter(category => references.some(reference => reference.category === category));
	const only = [...restored, ...fixing.filter(category => !restored.includes(category))].join(',');
	return `${countOf(total, 'reference')} would be left dangling (${references.map(formatReference).join(', ')}): the backup holds what they point at, but this restore leaves it out and the target does not have it; add ${fixing.join(', ')} (--only ${only}) to keep them whole`;
}
