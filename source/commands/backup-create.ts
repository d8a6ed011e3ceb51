import {ARCHIVE_FORMATS, type ArchiveFormat} from '../core/archive/archive-format.js';
import path from 'node:path';
import {COMPRESSIONS, createBackup, type Compression, type BackupProgress, type BackupResult, type CreateBackupOptions, type ReplacedBackup} from '../core/backup/create-backup.js';
import {LifeboatError} from '../core/errors.js';
import {countOf, formatBytes, formatCount, formatDuration, formatRetry, formatTableProgress} from '../core/format.js';
import {readPassphrase} from './passphrase.js';
import {outcomeJson, outcomeLine, verifyWritten, type Verified} from './verify-written.js';
import type {Destination} from '../core/destinations/destination.js';
import {claimStdoutForArchive, clearProgress, defaultBackupDir, openTarget, progressLine, resolveDataDir, splitList, warn, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup create [--out PATH|URL|- | --dest DIR|URL|NAME] [options]

Options
  --data-dir DIR        Gateway data directory (env LIFEBOAT_DATA_DIR)
  --out PATH|URL        Exact output path or object URL; - streams the archive to stdout
  --dest DIR|URL|NAME   Output folder, s3:// azblob:// sftp:// URL, or named destination
                        (default LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups); a URL ending in
                        an archive name (…/x.zip) is that exact object
  --name NAME           Backup name (default lifeboat-backup-YYYYMMDD-HHMMSS, -2… if taken)
  --format FMT          zip (default), tar.gz, tar.zst (needs the zstd program), json
                        (one JSON file: tables as JSON lines, other files base64) or dir
  --include-files       json: also carry the documents' files (base64); without it a JSON
                        bundle holds the document rows and texts but not their files
                        (restore leaves live document files alone). Other formats always do
  --compression LEVEL   fast, default or best (deflate level 1, 6 or 9; zstd 1, 3 or 19)
  --categories a,b      Only these categories (default: all)
  --tenant T            Only this tenant (id, slug or name)
  --encrypt             Encrypt with a passphrase (AES-256-GCM, PBKDF2 600,000 rounds)
  --passphrase-file F   Read the passphrase from F (else env LIFEBOAT_BACKUP_PASSPHRASE,
                        else a prompt on a terminal); implies --encrypt
  --incremental         Write only what changed since a base backup at the same destination
                        (rows new or changed, deletions as tombstones, changed files);
                        restoring it reads the whole chain, found there automatically
  --since-last          With --incremental: the base is the newest backup of the same
                        scope (tenant and categories) at the destination (the default)
  --base ID|NAME        With --incremental: the base is this backup (id, name or file name)
  --verify              Verify the archive after writing it (an incremental: its chain);
                        one that fails is removed, exit 5
  --force               Replace an earlier Lifeboat backup of the same name (never
                        anything that is not a backup)
  --json                Machine-readable result on stdout (on stderr with --out -)

Remote destinations (credentials come from the environment, never from flags):
  --s3-endpoint URL     S3-compatible server (path-style); env LIFEBOAT_S3_ENDPOINT
  --s3-region R         S3 region (default AWS_REGION, else us-east-1)
  --azure-endpoint URL  Azure Blob endpoint (env LIFEBOAT_AZURE_ENDPOINT)
  --ssh-key FILE        SFTP private key (env LIFEBOAT_SSH_KEY, else the ssh agent, else ~/.ssh)
  --known-hosts FILE    known_hosts to check the SFTP host key against (default ~/.ssh/known_hosts)
  --trust-host-key      Add an SFTP server's host key that is not known yet (never a changed one)

Secrets (webhook secrets, tokens, credentials, pairing secrets, config secrets) are never
written: they are redacted and listed so you can re-enter them after a restore.
`;

/** Where --out / --dest point: a local path (as before), a remote object or folder, or stdout. */
async function backupTarget(context: CommandContext): Promise<Pick<CreateBackupOptions, 'out' | 'destDir' | 'remote' | 'stream'>> {
	const {flags} = context;
	if (flags.out === '-') {
		if (flags.dest) throw new LifeboatError('usage', '--out - streams the archive to stdout: give --out or --dest, not both');
		return {stream: claimStdoutForArchive(context, '--out - writes the archive to stdout, which is a terminal here: pipe it (… --out - | ssh host "cat > x.zip") or give a file')};
	}
	const text = flags.out ?? flags.dest ?? defaultBackupDir(context.env);
	const target = await openTarget(context, text, flags.out ? 'object' : 'folder');
	if (target.location.kind === 'local') {
		await target.destination.close();
		return flags.out ? {out: path.join(target.location.folder, target.object!)} : {destDir: target.location.folder};
	}
	if (flags.out && !target.object) throw new LifeboatError('usage', `--out ${text} is a folder or prefix; give an object name ending in .zip or .tar.gz, or use --dest`);
	return {remote: {destination: target.destination, object: target.object}};
}

function describeProgress(progress: BackupProgress): string {
	if (progress.phase === 'snapshot') return `Reading ${formatTableProgress(progress)}`;
	if (progress.phase === 'archive') {
		const percent = progress.bytesTotal ? Math.floor((progress.bytesDone / progress.bytesTotal) * 100) : 100;
		return `Writing ${percent}% ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)} · ${progress.filesDone}/${progress.filesTotal} files · ${progress.current}`;
	}
	if (progress.phase === 'read-back') return `Reading the upload back to check it: ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`;
	if (progress.phase === 'retry') return formatRetry(progress.note);
	return 'Finishing (fsync, rename)…';
}

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const format = (flags.format ?? 'zip') as ArchiveFormat;
	if (!ARCHIVE_FORMATS.includes(format)) throw new LifeboatError('usage', `Unknown --format ${flags.format} (use zip, tar.gz, tar.zst, json or dir)`);
	const compression = compressionChoice(flags.compression, format);
	const encrypt = Boolean(flags.encrypt || flags.passphraseFile);
	// A weak passphrase from a file or the environment is said once the backup is written, so a
	// refused backup is still one line.
	let weak: string | undefined;
	const passphrase = encrypt ? await readPassphrase(context, {confirm: true, why: 'to encrypt the backup', onWeak: warning => (weak = warning)}) : undefined;
	if (flags.out === '-' && flags.verify) throw new LifeboatError('usage', '--verify cannot check an archive streamed to stdout: verify the copy where it lands (lifeboat backup verify FILE)');
	const incremental = await incrementalChoice(context);
	const where = await backupTarget(context);
	// --force --verify: the backup a local write replaces is kept aside until the new one verifies.
	const kept: {replaced?: ReplacedBackup} = {};
	try {
		return await createAndVerify(context, {incremental, where, passphrase, format, compression, weak, kept});
	} catch (error) {
		// The write failed after it replaced the earlier backup (and removed its own, a chain's link lost
		// meanwhile): the earlier one takes the name again if it is free.
		await kept.replaced?.putBack();
		throw error;
	} finally {
		kept.replaced?.release();
	}
}

type CreateChoices = {
	incremental: {destination: Destination} | undefined;
	where: Awaited<ReturnType<typeof backupTarget>>;
	passphrase: string | undefined;
	format: ArchiveFormat;
	compression: Compression | undefined;
	/** A weak passphrase's warning, said once the backup is written. */
	weak: string | undefined;
	kept: {replaced?: ReplacedBackup};
};

async function createAndVerify(context: CommandContext, {incremental, where, passphrase, format, compression, weak, kept}: CreateChoices): Promise<number> {
	const {flags} = context;
	const result = await createBackup({
		incremental: incremental && {destination: incremental.destination, base: flags.base, sinceLast: flags.sinceLast},
		passphrase,
		dataDir: resolveDataDir(context),
		...where,
		name: flags.name,
		format,
		compression,
		includeFiles: Boolean(flags.includeFiles),
		categories: splitList(flags.categories),
		tenant: flags.tenant,
		force: flags.force,
		keepReplaced: flags.force && flags.verify ? replaced => (kept.replaced = replaced) : undefined,
		signal: context.signal,
		onProgress: progress => progressLine(context, describeProgress(progress)),
	}).finally(() => {
		void where.remote?.destination.close();
		void incremental?.destination.close();
	});
	clearProgress(context);
	if (weak) warn(context, weak);
	const verified = flags.verify ? await verifyWritten(context, result, passphrase).catch(error => Promise.reject(notVerified(error, result))) : undefined;
	// The new one failed and was removed: the earlier backup it replaced takes its name again.
	if (verified?.outcome?.removed && kept.replaced) verified.outcome = {removed: true, putBack: await kept.replaced.putBack()};
	// With --out - stdout is the archive: the report goes to stderr.
	const report: CommandContext = where.stream ? {...context, stdout: context.stderr} : context;
	reportResult(report, result, verified);
	return verified && !verified.ok ? 5 : 0;
}

/** A verify that could not be done (the destination, an interruption): the backup was written and is left as it is. */
function notVerified(error: unknown, result: BackupResult): unknown {
	if (!(error instanceof LifeboatError)) return error;
	const reason = error.code === 'interrupted' ? error.message.replace(/; nothing partial was left behind$/, '') : error.message;
	return new LifeboatError(error.code, `${reason}; the backup was written (${result.path}) but not verified: verify it (lifeboat backup verify)`, {cause: error, done: {written: result.path, verified: false}});
}

/** --compression: a deflate level for zip and tar.gz (a folder backup is not compressed). */
function compressionChoice(value: string | undefined, format: ArchiveFormat): Compression | undefined {
	if (value === undefined) return undefined;
	if (!COMPRESSIONS.includes(value as Compression)) throw new LifeboatError('usage', `Unknown --compression ${value} (use ${COMPRESSIONS.join(', ')})`);
	if (format === 'dir' || format === 'json') throw new LifeboatError('usage', `--compression applies to zip, tar.gz and tar.zst: ${format === 'dir' ? 'a folder backup (--format dir)' : 'a JSON bundle (--format json)'} is not compressed`);
	return value as Compression;
}

/** --incremental: the destination its base is looked for in (where the backup goes). */
async function incrementalChoice(context: CommandContext): Promise<{destination: Destination} | undefined> {
	const {flags} = context;
	if (!flags.incremental) {
		if (flags.sinceLast || flags.base !== undefined) throw new LifeboatError('usage', `${flags.base !== undefined ? '--base' : '--since-last'} chooses the base of an incremental backup: add --incremental`);
		return undefined;
	}
	if (flags.sinceLast && flags.base !== undefined) throw new LifeboatError('usage', '--since-last and --base both choose the base: give one');
	if (flags.out === '-') throw new LifeboatError('usage', '--incremental needs the destination its base is in: use --dest (or --out PATH), not --out -');
	const target = await openTarget(context, flags.out ?? flags.dest ?? defaultBackupDir(context.env), flags.out ? 'object' : 'folder');
	return {destination: target.destination};
}

function reportResult(context: CommandContext, result: BackupResult, verified: Verified | undefined): void {
	const {flags} = context;
	if (flags.json) {
		// A failed verify is also said as every failure is (`error`): a script or a schedule's record reads it there.
		const error = verified && !verified.ok ? {error: {code: verified.code ?? 'corrupt-archive', message: `${verified.problems[0] ?? 'verify failed'}; ${outcomeLine(result, verified, Boolean(flags.force))}`}} : {};
		writeJson(context, {ok: !verified || verified.ok, ...result, verify: verified && {ok: verified.ok, problems: verified.problems, checkedFiles: verified.checkedFiles, ...outcomeJson(verified)}, ...error});
	} else {
		const {metadata} = result;
		writeLine(context, `Backup written: ${result.path}`);
		writeLine(context, `  ${result.format} · ${formatBytes(result.size)} · ${countOf(metadata.totalFiles, 'file')} (${formatBytes(metadata.totalBytes)} uncompressed) · ${formatDuration(result.durationMs)}`);
		writeLine(context, `  sha256 ${result.sha256}${metadata.encrypted ? ' · encrypted (AES-256-GCM; keep the passphrase safe: without it the backup is unrecoverable)' : ''}`);
		if (metadata.incremental) writeLine(context, `  ${incrementalLine(metadata)}`);
		writeLine(context, `  scope ${metadata.tenant ? `tenant ${metadata.tenant.slug}` : `all tenants (${metadata.tenants.length})`} · ${metadata.categories.length} categories`);
		if (metadata.redacted.length > 0) {
			writeLine(context, `  redacted (re-enter after restore): ${metadata.redacted.map(note => `${note.field.split(':')[0]} ×${note.count}`).join(', ')}`);
		}
		if (metadata.twoFactor) writeLine(context, `  2FA secrets of ${metadata.twoFactor.users} users sealed with the ${metadata.twoFactor.sealedWith === 'passphrase' ? 'backup passphrase' : "gateway's backup key (keys/backup.key)"}`);
		for (const warning of metadata.warnings) writeLine(context, `  warning: ${warning}`);
		if (verified) writeLine(context, verified.ok ? `Verified: ${countOf(verified.checkedFiles, 'file')} match${verified.checkedFiles === 1 ? 'es' : ''} the manifest` : `Verify FAILED:\n  ${verified.problems.join('\n  ')}\n${outcomeLine(result, verified, Boolean(flags.force))}`);
	}
}

/** `incremental of NAME (chain from FULL): 12 rows, 3 files new or changed; 2 rows, 1 file deleted` */
export function incrementalLine(metadata: BackupResult['metadata']): string {
	const inc = metadata.incremental!;
	const deletedRows = Object.values(inc.deleted?.rows ?? {}).reduce((a, b) => a + b, 0);
	const chain = inc.full.id === inc.base.id ? '' : ` (chain from ${inc.full.name})`;
	return `incremental of ${inc.base.name}${chain}: ${countOf(inc.changed?.rows ?? 0, 'row')}, ${countOf(inc.changed?.files ?? 0, 'file')} new or changed; ${countOf(deletedRows, 'row')}, ${countOf(inc.deleted?.files ?? 0, 'file')} deleted`;
}
