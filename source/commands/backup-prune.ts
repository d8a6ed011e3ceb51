import {printable} from '../core/destinations/destination.js';
import {LifeboatError} from '../core/errors.js';
import {formatBytes, formatRetry} from '../core/format.js';
import {applyPrune, DEFAULT_POLICY, describePolicy, formatDuration, parseCount, parseDuration, planPrune, type PrunePlan, type PruneResult, type RetentionDecision, type RetentionPolicy} from '../core/retention/index.js';
import {promptYes} from './passphrase.js';
import {clearProgress, openTarget, progressLine, writeJson, writeLine, type CommandContext, type Flags} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup prune --dest DIR|URL|NAME [--keep-last N] [--keep-hourly N]
      [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N]
      [--keep-within 30d] [--dry-run] [--yes] [--json]

Removes the backups a retention policy does not keep, with restic's "forget" rules: newest
first, each --keep-* rule keeps the newest backup of each of its N most recent periods (hours,
days, ISO weeks Monday–Sunday, months, years: in UTC) that have one; --keep-last N keeps the N
newest; --keep-within keeps every backup less than the duration (y m w d h: 30d, 1y6m) older
than the newest one. Rules add up (a backup any rule keeps is kept); a rule with count left at
the oldest backup keeps it too. N may be "unlimited". Without any --keep flag: --keep-daily 7
--keep-weekly 4 --keep-monthly 12. Each scope (the gateway that made it: host name and data
folder; whole gateway or one tenant; the categories held) is judged on its own. A backup a kept
incremental's chain needs is always kept; a listing that cannot be read, or an incremental whose
chain is broken, is never removed.

--dry-run lists every backup with keep or remove and every rule that keeps it. Removing
anything needs --yes (on a terminal it asks). Remote flags: see lifeboat backup create --help.

Exit codes: 0 done (or nothing to remove), 2 usage (or not confirmed), 4 destination problem,
130 interrupted (what was deleted before stays deleted; every kept chain is whole).
`;

const KEEP_FLAGS = [
	['keepLast', 'last', '--keep-last'],
	['keepHourly', 'hourly', '--keep-hourly'],
	['keepDaily', 'daily', '--keep-daily'],
	['keepWeekly', 'weekly', '--keep-weekly'],
	['keepMonthly', 'monthly', '--keep-monthly'],
	['keepYearly', 'yearly', '--keep-yearly'],
] as const;

/** The policy the flags give; none given: the documented default (7 daily, 4 weekly, 12 monthly). */
export function policyFromFlags(flags: Flags): {policy: RetentionPolicy; isDefault: boolean} {
	const given = KEEP_FLAGS.filter(([flag]) => flags[flag] !== undefined);
	if (given.length === 0 && flags.keepWithin === undefined) return {policy: {...DEFAULT_POLICY}, isDefault: true};
	const policy: RetentionPolicy = {};
	for (const [flag, rule, dashed] of given) policy[rule] = parseCount(String(flags[flag]), dashed);
	if (flags.keepWithin !== undefined) policy.within = parseDuration(String(flags.keepWithin));
	return {policy, isDefault: false};
}

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const where = flags.dest ?? context.args[0];
	if (!where) throw new LifeboatError('usage', 'Prune where? Pass --dest DIR|URL|NAME (see lifeboat backup prune --help)');
	const {policy, isDefault} = policyFromFlags(flags);
	const {destination} = await openTarget(context, where);
	try {
		const planned = await planPrune(destination, policy, {onRetry: note => progressLine(context, formatRetry(note))});
		clearProgress(context);
		if (!flags.json) printPlan(context, planned, isDefault);
		const remove = planned.plan.remove;
		if (flags.dryRun || remove === 0) return finish(context, {...planned, dryRun: Boolean(flags.dryRun), deleted: [], freedBytes: removedBytes(planned)});
		await confirm(context, planned);
		const result = await applyPrune(destination, planned, {
			signal: context.signal,
			onRetry: note => progressLine(context, formatRetry(note)),
			onProgress: progress => {
				if (progress.phase === 'deleting') progressLine(context, `Deleting ${progress.index + 1}/${progress.of}: ${printable(progress.fileName)}`);
			},
		});
		clearProgress(context);
		return finish(context, result);
	} finally {
		await destination.close();
	}
}

function removedBytes(planned: PrunePlan): number {
	const removed = new Set(planned.plan.removalOrder);
	return planned.listings.filter(listing => removed.has(listing.fileName)).reduce((sum, listing) => sum + listing.size, 0);
}

async function confirm(context: CommandContext, planned: PrunePlan): Promise<void> {
	if (context.flags.yes) return;
	const what = `Pruning deletes ${planned.plan.remove} backup${planned.plan.remove === 1 ? '' : 's'} at ${planned.destination} (${formatBytes(removedBytes(planned))})`;
	if (context.flags.json || !process.stdin.isTTY || !process.stderr.isTTY) throw new LifeboatError('usage', `${what} and cannot be undone: pass --yes to confirm, or --dry-run to see which`);
	if (!(await promptYes(`${what}. This cannot be undone. Delete them? [y/N] `))) throw new LifeboatError('usage', 'Nothing was deleted');
}

const kindText = (decision: RetentionDecision) => (decision.backupKind === 'incremental' ? 'incr' : decision.backupKind ?? '?');

function row(decision: RetentionDecision): string {
	const when = decision.createdAt ? decision.createdAt.slice(0, 16).replace('T', ' ') : '?'.padEnd(16);
	const why = [decision.reasons.join(', '), decision.warning].filter(Boolean).join('; ');
	return `  ${decision.keep ? 'keep  ' : 'remove'}  ${printable(decision.fileName).padEnd(40)} ${when}  ${kindText(decision).padEnd(4)}  ${why}`.trimEnd();
}

function printPlan(context: CommandContext, {destination, plan}: PrunePlan, isDefault: boolean): void {
	writeLine(context, `Retention at ${destination}: ${describePolicy(plan.policy)}${isDefault ? ' (the default)' : ''}; restic forget rules, periods in UTC`);
	let index = 0;
	for (const group of plan.groups) {
		writeLine(context, `${group.label}: ${group.backups} backup${group.backups === 1 ? '' : 's'}, keep ${group.keep}, remove ${group.remove}`);
		for (const decision of plan.decisions.slice(index, index + group.backups)) writeLine(context, row(decision));
		index += group.backups;
	}
	const unreadable = plan.decisions.slice(index);
	if (unreadable.length > 0) {
		writeLine(context, `Not readable (never removed): ${unreadable.length}`);
		for (const decision of unreadable) writeLine(context, row(decision));
	}
}

function finish(context: CommandContext, result: PruneResult): number {
	const {plan} = result;
	if (context.flags.json) {
		writeJson(context, toJson(result));
		return 0;
	}
	if (plan.decisions.length === 0) writeLine(context, 'No backups there: nothing to prune.');
	else if (plan.remove === 0) writeLine(context, `Nothing to remove: all ${plan.keep} backups are kept.`);
	else if (result.dryRun) writeLine(context, `Dry run: would remove ${plan.remove} backups (${formatBytes(result.freedBytes)}) and keep ${plan.keep}; nothing was deleted.`);
	else writeLine(context, `Removed ${result.deleted.length} backups (${formatBytes(result.freedBytes)}); kept ${plan.keep}.`);
	return 0;
}

function toJson(result: PruneResult) {
	const {plan} = result;
	const listings = new Map(result.listings.map(listing => [listing.fileName, listing]));
	const policy = Object.fromEntries(Object.entries(plan.policy).map(([rule, value]) => [rule, typeof value === 'number' ? (Number.isFinite(value) ? value : 'unlimited') : formatDuration(value)]));
	return {
		ok: true,
		destination: result.destination,
		dryRun: result.dryRun,
		semantics: 'restic forget; periods in UTC; ISO weeks',
		policy,
		groups: plan.groups,
		backups: plan.decisions.map(decision => ({...decision, action: decision.keep ? 'keep' : 'remove', path: listings.get(decision.fileName)?.path, size: listings.get(decision.fileName)?.size})),
		kept: plan.keep,
		removed: result.dryRun ? 0 : result.deleted.length,
		wouldRemove: plan.remove,
		deleted: result.deleted,
		freedBytes: result.freedBytes,
	};
}
