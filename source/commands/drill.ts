import path from 'node:path';
import {listDestination} from '../core/backup/list-backups.js';
import {openBackupChain} from '../core/backup/backup-chain.js';
import {isStoredBackupEncrypted, openStoredBackup, type StoredBackupRef} from '../core/backup/stored-backup.js';
import {printable} from '../core/destinations/destination.js';
import {LifeboatError} from '../core/errors.js';
import {formatAge, formatCount, formatDuration, formatRetry} from '../core/format.js';
import {appendDrillHistory, defaultDrillReportFile, formatRpo, formatRto, formatSpan, readDrillHistory, refuseReportPath, runDrill, writeDrillReports, type DrillCheck, type DrillReport, type DrillReportPaths} from '../core/drill/index.js';
import {readPassphrase} from './passphrase.js';
import {clearProgress, defaultBackupDir, openTarget, progressLine, warn, writeJson, writeLine, type CommandContext} from './command-context.js';

/** Exit code of a drill that ran and found a failing check (documented in the readme). */
export const DRILL_FAILED_EXIT = 10;

export const help = `
Usage
  $ lifeboat drill --in PATH|URL [--data-dir LIVE] [--report FILE] [--json]
  $ lifeboat drill --latest [--dest DIR|URL|NAME] [--data-dir LIVE] [--report FILE] [--json]
  $ lifeboat drill --history [--json]

Proves a backup restores, without touching the live gateway: restores it into a private scratch
folder (in the temp folder, removed afterwards whatever happens), then checks that the archive
verifies, that every table's row count and every file's SHA-256 equal the backup's metadata and
manifest, that SQLite's integrity_check and foreign_key_check pass, that every reference resolves
as it did on the source gateway, and that the restored gateway opens. With --data-dir, the live
store is compared with the backup (read-only): the backup's age (RPO) and, per category, what
live holds that the backup lacks or holds in another version. The restore is timed (RTO).

Options
  --in PATH|URL         The backup to drill (zip, tar.gz, folder, encrypted .enc; or a URL)
  --latest              The newest backup in --dest (default LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups)
  --dest DIR|URL|NAME   Where --latest looks
  --data-dir LIVE       The live gateway to compare with (env LIFEBOAT_DATA_DIR); never written to
  --report FILE         Write the report to FILE.json and FILE.md (default: a new file under
                        the config folder's drill-reports/)
  --history             List past drills (kept in drills.jsonl in the config folder)
  --key-file F          keys/backup.key of the source gateway (default: the live gateway's own)
  --passphrase-file F   Passphrase of an encrypted backup (or env LIFEBOAT_BACKUP_PASSPHRASE)
  --json                The report as JSON on stdout
  Remote flags: see lifeboat backup create --help.

Exit codes: 0 every check passed, 10 a check failed (the report names it), 2 usage,
3 --data-dir is not a gateway, 4 destination or disk problem, 5 not a backup at all (a backup
that opens but does not verify fails the verify check: 10), 6 passphrase, 9 the live gateway's
database is locked by another writer (run the drill again), 130 interrupted.
`;

/** The backup the flags name: --in (or the argument), or the newest one at --dest with --latest. */
async function chooseBackup(context: CommandContext): Promise<{ref: StoredBackupRef; location: string}> {
	const {flags} = context;
	const named = flags.in ?? context.args[0];
	if (named !== undefined && flags.latest) throw new LifeboatError('usage', 'Pass either --in BACKUP or --latest, not both');
	if (named !== undefined) {
		if (flags.dest !== undefined) throw new LifeboatError('usage', '--dest goes with --latest; --in names the backup itself');
		const target = await openTarget(context, named, 'object');
		const location = target.location.kind === 'local' ? path.resolve(named) : target.destination.locate(target.object ?? '');
		return {ref: target, location};
	}
	if (!flags.latest) {
		throw new LifeboatError('usage', `Which backup? Pass --in BACKUP, or --latest [--dest DIR|URL|NAME] for the newest one${flags.dest ? ` in ${flags.dest}` : ''} (see lifeboat drill --help)`);
	}
	const target = await openTarget(context, flags.dest ?? defaultBackupDir(context.env));
	try {
		const listed = await listDestination(target.destination, {onRetry: note => progressLine(context, formatRetry(note))});
		const newest = listed.find(backup => backup.summary && !backup.error);
		if (!newest) throw new LifeboatError('usage', `No readable backup in ${target.destination.label}${listed.length > 0 ? ` (${listed.length} unreadable)` : ''}`);
		return {ref: {destination: target.destination, location: target.location, object: newest.fileName}, location: newest.path};
	} catch (error) {
		await target.destination.close();
		throw error;
	}
}

export async function run(context: CommandContext): Promise<number> {
	if (context.flags.history) return history(context);
	// An empty LIFEBOAT_DATA_DIR is unset (never the current folder).
	const liveDataDir = context.flags.dataDir ?? (context.env['LIFEBOAT_DATA_DIR'] || undefined);
	// The reports' place is checked before the drill runs: never in the live data dir, never a folder.
	if (context.flags.report !== undefined) refuseReportPath(context.flags.report, liveDataDir);
	const {ref, location} = await chooseBackup(context);
	let report: DrillReport;
	try {
		const passphrase = (await isStoredBackupEncrypted(ref)) ? await readPassphrase(context, {confirm: false, why: 'the backup is encrypted'}) : undefined;
		const source = await openStoredBackup(ref, {passphrase});
		// An incremental is drilled with its whole chain; a missing link fails the verify check.
		const openChain = () => openBackupChain(ref, {passphrase, signal: context.signal, onLink: link => progressLine(context, `Reading chain link ${link.link} of ${link.links}: ${link.name}`)});
		report = await runDrill({
			source,
			openChain,
			location,
			passphrase,
			keyFile: context.flags.keyFile,
			liveDataDir: liveDataDir === undefined ? undefined : path.resolve(liveDataDir),
			signal: context.signal,
			onCheck: check => {
				if (check.status === 'running') progressLine(context, `${check.label}…`);
			},
			onProgress: text => progressLine(context, text),
		});
	} finally {
		await ref.destination.close();
	}
	clearProgress(context);
	const files = writeDrillReports(report, context.flags.report ?? defaultDrillReportFile(context.env, report));
	appendDrillHistory(report, files, context.env);
	if (context.flags.json) writeJson(context, {...report, reportFiles: files});
	else printReport(context, report, files);
	return report.ok ? 0 : DRILL_FAILED_EXIT;
}

const MARK: Record<DrillCheck['status'], string> = {pass: '✓', fail: '✗', skip: '-', pending: ' ', running: '…'};

function printReport(context: CommandContext, report: DrillReport, files: DrillReportPaths): void {
	writeLine(context, `DR drill of ${printable(report.backup.name)} (${printable(report.backup.location)}): ${report.ok ? 'PASSED' : `FAILED at ${report.failed}`}`);
	for (const check of report.checks) {
		writeLine(context, `  ${MARK[check.status]} ${check.id.padEnd(10)} ${check.detail ?? check.label}`);
	}
	writeLine(context, `RPO: ${formatRpo(report)}`);
	writeLine(context, `RTO: ${formatRto(report)}`);
	const differing = report.rpo.live?.filter(row => row.liveOnly + row.changed + row.backupOnly > 0) ?? [];
	if (report.rpo.live && differing.length === 0) writeLine(context, 'Live store: the same entries as the backup in every category');
	if (differing.length > 0) {
		writeLine(context, `Live store against the backup, categories that differ (${'live only'.padStart(9)} ${'changed'.padStart(9)} ${'backup only'.padStart(11)}):`);
		for (const row of differing) {
			writeLine(context, `  ${row.category.padEnd(14)} ${formatCount(row.liveOnly).padStart(9)} ${formatCount(row.changed).padStart(9)} ${formatCount(row.backupOnly).padStart(11)}`);
		}
	}
	writeLine(context, 'After a real restore of this backup:');
	for (const item of report.checklist) writeLine(context, `  [ ] ${item.text}`);
	writeLine(context, `Report: ${files.json}`);
	writeLine(context, `        ${files.markdown}`);
}

async function history(context: CommandContext): Promise<number> {
	const {flags} = context;
	const given = (['in', 'latest', 'dest', 'dataDir', 'report', 'keyFile', 'passphraseFile'] as const).filter(flag => flags[flag] !== undefined && flags[flag] !== false);
	if (given.length > 0 || context.args.length > 0) throw new LifeboatError('usage', `--history lists past drills and takes only --json (got ${given.map(flag => `--${flag.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`).concat(context.args).join(', ')})`);
	const {entries, skipped, file} = readDrillHistory(context.env);
	if (flags.json) {
		writeJson(context, {ok: true, file, drills: entries, skipped});
		return 0;
	}
	if (entries.length === 0) writeLine(context, `No drills yet (${file})`);
	for (const entry of entries.slice().reverse()) {
		const result = entry.ok ? 'passed' : `FAILED at ${entry.failed ?? '?'}`;
		writeLine(context, `${entry.at.slice(0, 19).replace('T', ' ')}  ${formatAge(entry.at).padEnd(15)} ${result.padEnd(22)} RPO ${formatSpan(entry.rpoMs).padEnd(12)} RTO ${formatDuration(entry.rtoMs).padEnd(9)} ${printable(entry.backup.name)}`);
	}
	if (skipped > 0) warn(context, `${skipped} line${skipped === 1 ? '' : 's'} of ${file} could not be read as drills; skipped`);
	return 0;
}
