import {isStoredBackupEncrypted, type StoredBackupRef} from '../core/backup/stored-backup.js';
import {openBackupChain, type OpenedBackup} from '../core/backup/backup-chain.js';
import {printable} from '../core/destinations/destination.js';
import {LifeboatError} from '../core/errors.js';
import {formatBytes, formatCount} from '../core/format.js';
import {applyRestore, formatChecklist, formatPlan, formatResult, formatSecrets, planRestore, RESTORE_MODES, type RestoreMode, type RestoreOptions, type RestorePlan, type RestoreProgress} from '../core/restore/index.js';
import {planReport, resultReport} from '../core/restore/restore-report.js';
import {isAtlasCandidate} from '../core/atlas/atlas-import.js';
import {withAtlasConversion} from './atlas-restore.js';
import {readPassphrase} from './passphrase.js';
import {clearProgress, openTarget, progressLine, resolveDataDir, splitList, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup restore --in PATH|URL [options]

Options
  --in PATH|URL         Backup to restore (zip, tar.gz, folder, or an encrypted .enc file;
                        or an s3:// azblob:// sftp:// URL, read by ranges); or a local ATLAS
                        export (personas and conversations, at most 16 MiB) with --into-tenant
  --data-dir DIR        Gateway data directory (env LIFEBOAT_DATA_DIR); an absent or empty
                        folder gets a new gateway holding the whole backup (bare-host restore)
  --mode MODE           additive (default): add new entries, skip identical ones, put
                        conflicting ones in quarantine/<restore-id>/ (never overwrites)
                        overwrite: the same, but the backup's version is written over each
                        conflicting entry; nothing the backup lacks is deleted; needs --yes
                        replace: make the target tenant's data in the chosen categories equal
                        to the backup's (deletes what the backup lacks); needs --yes
  --only a,b            Only these categories (must be in the backup)
  --into-tenant T       Restore a one-tenant backup into tenant T (id, slug or name; a new slug
                        creates the tenant in additive mode); ids are remapped consistently
  --as-user U           ATLAS export (atlas-backup-….json): the user (id or email of tenant T)
                        its conversations become; needed when it holds conversations
  --agent A             ATLAS export: the agent (id or name) its conversations are with
                        (default: the tenant's first agent)
  --dry-run             Print the plan (new / identical / conflicts / to delete) and write nothing
  --yes                 Confirm an overwrite or a replace
  --key-file F          keys/backup.key of the gateway the backup came from (restores its 2FA secrets)
  --passphrase-file F   Passphrase of an encrypted backup (or env LIFEBOAT_BACKUP_PASSPHRASE)
  --json                Plan / result as JSON on stdout (conflict ids included)

The backup is verified before anything is written; every restore writes an audit log entry.
Secrets are never in backups: after a restore, a checklist says what to do (secrets to re-enter,
connections to re-authenticate, nodes to re-pair, users who must re-enrol 2FA, tokens to rotate).
Review conflicts with: lifeboat quarantine list|show|accept|discard.
A restore with --only or --into-tenant that would leave references dangling (rows pointing at
entries the backup holds in a category left out) says so in the plan and names the categories to add.

Exit codes: 0 restored (or planned), 2 usage or unknown category, 3 not a gateway (a folder
holding other files), unknown tenant or damaged gateway database, 4 disk full (or a new data
dir's folder not writable), 5 corrupt/unsafe/unsupported backup, 6 passphrase, 7 id collision
between tenants, 9 gateway database locked by another process.
`;

function progressText(progress: RestoreProgress): string {
	switch (progress.phase) {
		case 'verify':
			return `Verifying ${formatBytes(progress.bytesDone)}${progress.bytesTotal ? ` of ${formatBytes(progress.bytesTotal)}` : ''}`;
		case 'plan':
			return `Planning ${progress.category}: ${formatCount(progress.rows)} rows compared`;
		case 'apply':
			return `Restoring ${progress.category}: ${formatCount(progress.rows)} rows · ${formatBytes(progress.bytesDone)}`;
		case 'commit':
			return 'Committing…';
	}
}

function planHeader(plan: RestorePlan, dataDir: string): string {
	const {backup} = plan;
	const scope = backup.tenant ? `tenant ${printable(backup.tenant.slug)}` : `${backup.tenants.length} tenant${backup.tenants.length === 1 ? '' : 's'}`;
	let into = plan.newDataDir ? `${dataDir} (new gateway)` : dataDir;
	if (plan.targetTenant && (!backup.tenant || plan.targetTenant.id !== backup.tenant.id)) into += ` → tenant ${printable(plan.targetTenant.slug)}${plan.targetTenant.exists ? '' : ' (new)'}`;
	return `Restore plan (${plan.mode}) of ${printable(backup.name)} (${backup.createdAt.slice(0, 19).replace('T', ' ')} UTC, ${scope}) into ${into}:`;
}

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const location = flags.in ?? context.args[0];
	if (!location) throw new LifeboatError('usage', 'Which backup? Usage: lifeboat backup restore --in PATH [--dry-run]');
	const mode = (flags.mode ?? 'additive') as RestoreMode;
	if (!RESTORE_MODES.includes(mode)) throw new LifeboatError('usage', `Unknown --mode ${flags.mode} (use ${RESTORE_MODES.join(', ')})`);
	if (mode === 'replace' && !flags.dryRun && !flags.yes) {
		throw new LifeboatError('usage', "Replace mode deletes the target tenant's data in the chosen categories and loads the backup's instead: add --yes to confirm (preview with --dry-run)");
	}
	if (mode === 'overwrite' && !flags.dryRun && !flags.yes) {
		throw new LifeboatError('usage', "Overwrite mode writes the backup's version over every live entry that differs (nothing is deleted): add --yes to confirm (preview with --dry-run)");
	}
	const dataDir = resolveDataDir(context);
	if (isAtlasCandidate(location)) return withAtlasConversion(context, location, dataDir, bundle => restoreAt({...context, flags: {...context.flags, intoTenant: undefined}}, bundle, dataDir, mode));
	return restoreAt(context, location, dataDir, mode);
}

async function restoreAt(context: CommandContext, location: string, dataDir: string, mode: RestoreMode): Promise<number> {
	const target = await openTarget(context, location, 'object');
	try {
		return await restoreFrom(context, target, dataDir, mode);
	} finally {
		await target.destination.close();
	}
}

async function restoreFrom(context: CommandContext, target: StoredBackupRef, dataDir: string, mode: RestoreMode): Promise<number> {
	const {flags} = context;
	const passphrase = (await isStoredBackupEncrypted(target)) ? await readPassphrase(context, {confirm: false, why: 'the backup is encrypted'}) : undefined;
	// An incremental is read with its whole chain, found at the same destination.
	const opened = await openBackupChain(target, {passphrase, signal: context.signal, onLink: link => progressLine(context, `Reading chain link ${link.link} of ${link.links}: ${link.name}`)});
	try {
		return await restoreOpened(context, opened, dataDir, mode, passphrase);
	} finally {
		await opened.close();
	}
}

/** `Chain: full → incr 1 → incr 2 (3 backups, applied in order)` */
export function chainLine(chain: OpenedBackup['chain']): string | undefined {
	if (!chain) return undefined;
	return `Chain: ${chain.map(link => link.name).join(' → ')} (${chain.length} backups: the full one and every incremental after it, applied in order)`;
}

async function restoreOpened(context: CommandContext, opened: OpenedBackup, dataDir: string, mode: RestoreMode, passphrase: string | undefined): Promise<number> {
	const {flags} = context;
	const chain = chainLine(opened.chain);
	const options: RestoreOptions = {
		source: opened.source,
		dataDir,
		mode,
		only: splitList(flags.only),
		intoTenant: flags.intoTenant,
		keyFile: flags.keyFile,
		passphrase,
		signal: context.signal,
		onProgress: progress => progressLine(context, progressText(progress)),
	};
	if (flags.dryRun) {
		const plan = await planRestore(options);
		clearProgress(context);
		if (flags.json) {
			writeJson(context, planReport(plan, opened.chain));
			return 0;
		}
		writeLine(context, planHeader(plan, dataDir));
		if (chain) writeLine(context, chain);
		for (const line of formatPlan(plan)) writeLine(context, `  ${line}`);
		if (plan.secretsToReenter.length > 0) writeLine(context, `Re-enter after restore: ${formatSecrets(plan.secretsToReenter)}`);
		for (const warning of plan.warnings) writeLine(context, `Warning: ${warning}`);
		writeLine(context, 'Dry run: nothing was written.');
		return 0;
	}
	const result = await applyRestore(options);
	clearProgress(context);
	const report = resultReport(result, opened.chain);
	if (flags.json) {
		writeJson(context, report);
		return 0;
	}
	writeLine(context, planHeader(result.plan, dataDir));
	if (chain) writeLine(context, chain);
	for (const line of formatPlan(result.plan)) writeLine(context, `  ${line}`);
	// The checklist below says what to re-enter, step by step.
	for (const line of formatResult(result)) if (!line.startsWith('Re-enter: ')) writeLine(context, line);
	if (result.createdDataDir) writeLine(context, `New gateway created in ${result.createdDataDir} (owner-only; its own keys/backup.key)`);
	for (const line of formatChecklist(report.checklist)) writeLine(context, line);
	return 0;
}
