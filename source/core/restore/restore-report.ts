/**
 * The JSON a restore answers with, shared by `backup restore --json` and `lifeboat serve`'s import
 * routes: `{ok, dryRun: true, plan, chain, checklist}` for a plan, `{ok, dryRun: false, ...result,
 * chain, checklist}` for an applied restore.
 */
import type {OpenedBackup} from '../backup/backup-chain.js';
import {postRestoreChecklist, type ChecklistItem} from './checklist.js';
import type {RestorePlan, RestoreResult} from './restore-types.js';

export type PlanReport = {ok: true; dryRun: true; plan: RestorePlan; chain: OpenedBackup['chain'] | null; checklist: ChecklistItem[]};
export type ResultReport = RestoreResult & {ok: true; dryRun: false; chain: OpenedBackup['chain'] | null; checklist: ChecklistItem[]};

export function planReport(plan: RestorePlan, chain: OpenedBackup['chain']): PlanReport {
	return {ok: true, dryRun: true, plan, chain: chain ?? null, checklist: postRestoreChecklist(plan)};
}

export function resultReport(result: RestoreResult, chain: OpenedBackup['chain']): ResultReport {
	const checklist = postRestoreChecklist({secretsToReenter: result.secretsToReenter, twoFactor: result.plan.twoFactor});
	return {ok: true, dryRun: false, ...result, chain: chain ?? null, checklist};
}
