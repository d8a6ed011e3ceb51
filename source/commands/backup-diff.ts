import {readPassphraseFile} from '../core/backup/passphrase-file.js';
import {terminalSafeJson} from '../core/terminal-safe.js';
import {isStoredBackupEncrypted} from '../core/backup/stored-backup.js';
import {openBackupChain} from '../core/backup/backup-chain.js';
import type {ResolvedTarget} from '../core/destinations/open-destination.js';
import {diffSides} from '../core/diff/diff-sides.js';
import type {DiffSideInput} from '../core/diff/diff-types.js';
import {formatDiff} from '../core/diff/format-diff.js';
import {LifeboatError} from '../core/errors.js';
import {formatCount} from '../core/format.js';
import {readPassphrase} from './passphrase.js';
import {clearProgress, openTarget, progressLine, resolveDataDir, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup diff A B [options]
  $ lifeboat backup diff A --data-dir DIR [options]

Compares two backups, or a backup with the live gateway store (B left out: --data-dir, or env
LIFEBOAT_DATA_DIR). Per category: entries added (in B, not in A), removed (in A, not in B) and
changed (same id, other content), with their ids. Rows are compared by id and exact content,
files (agent files, documents, gateway files) by path and SHA-256. The live store is read only,
and compared as a backup made now would hold it: secrets as the redaction marker, never shown.

Options
  A, B                    Backups: a zip, tar.gz, folder or encrypted .enc file, or an s3://,
                          azblob:// or sftp:// URL (read by ranges, never downloaded whole)
  --data-dir DIR          The live gateway store as B (when B is left out)
  --id ID                 Also show that one id field by field: each changed column with A's
                          and B's value (a file: its path in the data dir, e.g. agents/a1/SOUL.md)
  --passphrase-file F     Passphrase of an encrypted A (or env LIFEBOAT_BACKUP_PASSPHRASE);
                          also used for an encrypted B unless --passphrase-file-b is given
  --passphrase-file-b F   Passphrase of an encrypted B, when it differs from A's
  --json                  The diff as JSON on stdout (up to 10,000 ids per list, then a count;
                          values in the backup's exact encoding: {"$int"}, {"$blob"}, …)

Each backup is read once and checked against its manifest on the way; the comparison runs in a
temporary on-disk database, so memory does not grow with the backups. A difference is not an
error: the exit code is 0 whether or not the sides differ.

Exit codes: 0 compared, 2 usage, 3 not a gateway, 4 destination problem, 5 corrupt, unsafe or
unsupported backup, 6 wrong or missing passphrase, 9 gateway database locked.
`;

/** Ids listed per category and list in the human output (--json lists up to DIFF_ID_LIMIT). */
const HUMAN_ID_CAP = 20;

/** A backup side: its passphrase when encrypted (A: --passphrase-file/env/prompt; B: --passphrase-file-b, else A's). */
async function openBackupSide(context: CommandContext, location: string, which: 'A' | 'B', passphraseOfA: () => Promise<string>, targets: ResolvedTarget[], closers: Array<() => Promise<void>>): Promise<DiffSideInput> {
	const target = await openTarget(context, location, 'object');
	targets.push(target);
	let passphrase: string | undefined;
	if (await isStoredBackupEncrypted(target)) {
		passphrase = which === 'B' && context.flags.passphraseFileB ? await readPassphraseFile(context.flags.passphraseFileB) : await passphraseOfA();
	}
	try {
		// An incremental means its chain's final state (read with the whole chain, merged).
		const opened = await openBackupChain(target, {passphrase, signal: context.signal});
		closers.push(opened.close);
		return {kind: 'backup', source: opened.source};
	} catch (error) {
		if (error instanceof LifeboatError && error.code === 'wrong-passphrase') {
			const hint = which === 'B' && !context.flags.passphraseFileB ? ' (a different one for B: --passphrase-file-b F)' : '';
			throw new LifeboatError('wrong-passphrase', `${which} (${location}): ${error.message}${hint}`, {cause: error});
		}
		throw error;
	}
}

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const [first, second] = context.args;
	if (!first) throw new LifeboatError('usage', 'Which backups? Usage: lifeboat backup diff A B, or lifeboat backup diff A --data-dir DIR');
	if (second !== undefined && flags.dataDir !== undefined) throw new LifeboatError('usage', '--data-dir compares A with the live store: give one backup with it, or two backups without it');
	const dataDir = second === undefined ? resolveDataDir(context) : undefined;
	let passphrase: Promise<string> | undefined;
	const passphraseOfA = () => (passphrase ??= readPassphrase(context, {confirm: false, why: 'the backup is encrypted'}));
	const targets: ResolvedTarget[] = [];
	const closers: Array<() => Promise<void>> = [];
	try {
		const a = await openBackupSide(context, first, 'A', passphraseOfA, targets, closers);
		const b: DiffSideInput = dataDir ? {kind: 'live', dataDir} : await openBackupSide(context, second!, 'B', passphraseOfA, targets, closers);
		const result = await diffSides(a, b, {
			id: flags.id,
			signal: context.signal,
			onProgress: progress => progressLine(context, `Reading ${progress.side}: ${progress.what} · ${formatCount(progress.rows)} rows`),
		});
		clearProgress(context);
		if (flags.json) context.stdout.write(terminalSafeJson({ok: true, ...result}, 2) + '\n');
		else for (const line of formatDiff(result, HUMAN_ID_CAP)) writeLine(context, line);
		return 0;
	} finally {
		for (const close of closers) await close();
		for (const target of targets) await target.destination.close();
	}
}
