/**
 * `backup create --verify`: the backup just written is verified where it was written (an
 * incremental with its chain). One whose own bytes fail is removed, so that nothing takes it for a
 * good backup (Browse and `backup list`, retention's count of backups kept, `--since-last`, which
 * would build on it); one that is sound while its chain fails (a damaged base, a base that cannot
 * be read just now) is kept: the base may be mended or read again, and nothing of it is lost.
 */
import type {BackupResult} from '../core/backup/create-backup.js';
import {openBackupChain} from '../core/backup/backup-chain.js';
import {openStoredBackup} from '../core/backup/stored-backup.js';
import {verifyBackup, type VerifyResult} from '../core/backup/verify-backup.js';
import type {ResolvedTarget} from '../core/destinations/open-destination.js';
import {EXIT_CODES, LifeboatError, outsideRestore} from '../core/errors.js';
import {defaultBackupDir, openTarget, type CommandContext} from './command-context.js';

/**
 * Verify's answer; when it failed, what became of the backup: removed (and whether the earlier
 * backup a --force write replaced was put back, when one was kept aside), kept (itself sound, its
 * chain not), or left because it could not be removed (why).
 */
export type Verified = VerifyResult & {outcome?: {removed: true; putBack?: boolean} | {removed: false; kept: true} | {removed: false; kept: false; error: string}};

/** Where `result` was written, resolved from the same flags as the create (never from its printed label). */
async function openWritten(context: CommandContext, result: BackupResult): Promise<ResolvedTarget & {object: string}> {
	const {flags} = context;
	const target = await openTarget(context, flags.out ?? flags.dest ?? defaultBackupDir(context.env), flags.out ? 'object' : 'folder');
	return {...target, object: result.object!};
}

/** Verifies the backup `create` wrote (`result`), and removes it when its own bytes fail. */
export async function verifyWritten(context: CommandContext, result: BackupResult, passphrase: string | undefined): Promise<Verified> {
	const target = await openWritten(context, result);
	const {signal} = context;
	try {
		const whole = await damageAsProblem(async () => {
			const opened = await openBackupChain(target, {passphrase, signal});
			try {
				return await verifyBackup(opened.source, {signal});
			} finally {
				await opened.close();
			}
		}, signal);
		if (whole.ok) return whole;
		// A full backup is its own chain; an incremental is checked alone (its bytes against its manifest).
		if (result.metadata.incremental) {
			const alone = await damageAsProblem(async () => verifyBackup(await openStoredBackup(target, {passphrase}), {rows: false, signal}), signal);
			if (alone.ok) return {...whole, outcome: {removed: false, kept: true}};
		}
		return {...whole, outcome: await removeWritten(target, result, signal)};
	} finally {
		await target.destination.close();
	}
}

/**
 * Damage verify refuses outright (a row that is no JSON, a bomb's shape, a link missing: exit 5) as
 * one of its problems; an error reading the backup (the destination, exit 4) or an interruption,
 * thrown or listed among verify's problems, is passed on, and the backup stays where it is.
 */
async function damageAsProblem(verify: () => Promise<VerifyResult>, signal: AbortSignal | undefined): Promise<VerifyResult> {
	let result: VerifyResult;
	try {
		result = await verify();
	} catch (error) {
		if (!(error instanceof LifeboatError && error.exitCode === 5)) throw error;
		return {ok: false, problems: [outsideRestore(error).message], checkedFiles: 0, checkedBytes: 0, code: error.code};
	}
	// Verify lists what stopped it among its problems (a read that failed midway, an interruption):
	// such an answer says nothing of the backup's bytes, and is passed on as the error it is.
	signal?.throwIfAborted();
	if (!result.ok && result.code !== undefined && EXIT_CODES[result.code] !== 5) throw new LifeboatError(result.code, result.problems[0] ?? 'verify stopped');
	return result;
}

/**
 * Removes the written backup, if it is still the one this run wrote (its size, as written: another
 * run may have put its own there since); whether it was removed, and if not, why.
 */
async function removeWritten(target: ResolvedTarget & {object: string}, result: BackupResult, signal: AbortSignal | undefined): Promise<NonNullable<Verified['outcome']>> {
	try {
		const stat = await target.destination.stat(target.object, {signal});
		if (!stat) return {removed: false, kept: false, error: 'it is no longer there'};
		if (result.format !== 'dir' && stat.size !== result.size) return {removed: false, kept: false, error: `another backup of ${stat.size} bytes now stands under its name, not the ${result.size} written`};
		await target.destination.delete(target.object, {signal});
		return {removed: true};
	} catch (error) {
		return {removed: false, kept: false, error: (error as Error).message};
	}
}

/** What became of a backup that failed its verify, as a line. */
export function outcomeLine(result: BackupResult, verified: Verified, force: boolean): string {
	const outcome = verified.outcome;
	if (outcome?.removed) {
		const replaced =
			outcome.putBack === true
				? '; the earlier backup of that name, which --force had replaced, is back in its place'
				: outcome.putBack === false
					? '; the earlier backup of that name, which --force had replaced, could not be put back (the name was taken again, or the file system refused): it is gone'
					: force
						? ' (with --force it had replaced an earlier backup of that name, if there was one: that one is gone too)'
						: '';
		return `The backup was removed: a backup that does not verify is not kept${replaced}`;
	}
	if (outcome?.kept) return 'The backup itself verifies and is kept: the problem is in an earlier backup of its chain (a damaged base, or one that could not be read); make a full backup, or mend the base and verify the chain again';
	// Named by its object at the destination the command was given (its printed label may not lead back to it: a named destination's endpoint).
	return `The backup could not be removed (${outcome?.error ?? 'unknown'}): it does not verify; delete ${result.object ?? result.path} at that destination (lifeboat backup delete)`;
}

/** The `--json` fields of what became of it. */
export function outcomeJson(verified: Verified): Record<string, unknown> {
	const outcome = verified.outcome;
	if (!outcome) return {};
	if (outcome.removed) return outcome.putBack === undefined ? {removed: true} : {removed: true, earlierPutBack: outcome.putBack};
	return outcome.kept ? {removed: false, kept: true} : {removed: false, kept: false, removeError: outcome.error};
}
