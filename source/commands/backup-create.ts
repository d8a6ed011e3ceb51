import {ARCHIVE_FORMATS, type ArchiveFormat} from '../core/archive/archive-format.js';
import {openBackupSource} from '../core/backup/backup-source.js';
import {createBackup} from '../core/backup/create-backup.js';
import {verifyBackup} from '../core/backup/verify-backup.js';
import {LifeboatError} from '../core/errors.js';
import {countOf, formatBytes, formatCount, formatDuration, formatTableProgress} from '../core/format.js';
import {readPassphrase} from './passphrase.js';
import {clearProgress, defaultBackupDir, progressLine, resolveDataDir, splitList, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup create [--out PATH | --dest DIR] [options]

Options
  --data-dir DIR        Gateway data directory (env LIFEBOAT_DATA_DIR)
  --out PATH            Exact output path
  --dest DIR            Output folder (default LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups)
  --name NAME           Backup name (default lifeboat-backup-YYYYMMDD-HHMMSS)
  --format FMT          zip (default), tar.gz or dir
  --categories a,b      Only these categories (default: all)
  --tenant T            Only this tenant (id, slug or name)
  --encrypt             Encrypt with a passphrase (AES-256-GCM, PBKDF2 600,000 rounds)
  --passphrase-file F   Read the passphrase from F (else env LIFEBOAT_BACKUP_PASSPHRASE,
                        else a prompt on a terminal); implies --encrypt
  --verify              Verify the archive after writing it
  --force               Replace an earlier Lifeboat backup of the same name (never
                        anything that is not a backup)
  --json                Machine-readable result on stdout

Secrets (webhook secrets, tokens, credentials, pairing secrets, config secrets) are never
written: they are redacted and listed so you can re-enter them after a restore.
`;

export async function run(context: CommandContext): Promise<number> {
	const {flags} = context;
	const format = (flags.format ?? 'zip') as ArchiveFormat;
	if (!ARCHIVE_FORMATS.includes(format)) throw new LifeboatError('usage', `Unknown --format ${flags.format} (use zip, tar.gz or dir)`);
	const encrypt = Boolean(flags.encrypt || flags.passphraseFile);
	// A weak passphrase from a file or the environment is said once the backup is written, so a
	// refused backup is still one line.
	let weak: string | undefined;
	const passphrase = encrypt ? await readPassphrase(context, {confirm: true, why: 'to encrypt the backup', onWeak: warning => (weak = warning)}) : undefined;
	const result = await createBackup({
		passphrase,
		dataDir: resolveDataDir(context),
		out: flags.out,
		destDir: flags.out ? undefined : (flags.dest ?? defaultBackupDir(context.env)),
		name: flags.name,
		format,
		categories: splitList(flags.categories),
		tenant: flags.tenant,
		force: flags.force,
		signal: context.signal,
		onProgress: progress => {
			if (progress.phase === 'snapshot') progressLine(context, `Reading ${formatTableProgress(progress)}`);
			else if (progress.phase === 'archive') {
				const percent = progress.bytesTotal ? Math.floor((progress.bytesDone / progress.bytesTotal) * 100) : 100;
				progressLine(context, `Writing ${percent}% ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)} · ${progress.filesDone}/${progress.filesTotal} files · ${progress.current}`);
			} else progressLine(context, 'Finishing (fsync, rename)…');
		},
	});
	clearProgress(context);
	if (weak) context.stderr.write(`lifeboat: ${weak}\n`);
	let verified: Awaited<ReturnType<typeof verifyBackup>> | undefined;
	if (flags.verify) verified = await verifyBackup(await openBackupSource(result.path, {passphrase}));
	if (flags.json) {
		writeJson(context, {ok: !verified || verified.ok, ...result, verify: verified && {ok: verified.ok, problems: verified.problems, checkedFiles: verified.checkedFiles}});
	} else {
		const {metadata} = result;
		writeLine(context, `Backup written: ${result.path}`);
		writeLine(context, `  ${result.format} · ${formatBytes(result.size)} · ${countOf(metadata.totalFiles, 'file')} (${formatBytes(metadata.totalBytes)} uncompressed) · ${formatDuration(result.durationMs)}`);
		writeLine(context, `  sha256 ${result.sha256}${metadata.encrypted ? ' · encrypted (AES-256-GCM; keep the passphrase safe: without it the backup is unrecoverable)' : ''}`);
		writeLine(context, `  scope ${metadata.tenant ? `tenant ${metadata.tenant.slug}` : `all tenants (${metadata.tenants.length})`} · ${metadata.categories.length} categories`);
		if (metadata.redacted.length > 0) {
			writeLine(context, `  redacted (re-enter after restore): ${metadata.redacted.map(note => `${note.field.split(':')[0]} ×${note.count}`).join(', ')}`);
		}
		if (metadata.twoFactor) writeLine(context, `  2FA secrets of ${metadata.twoFactor.users} users sealed with the ${metadata.twoFactor.sealedWith === 'passphrase' ? 'backup passphrase' : "gateway's backup key (keys/backup.key)"}`);
		for (const warning of metadata.warnings) writeLine(context, `  warning: ${warning}`);
		if (verified) writeLine(context, verified.ok ? `Verified: ${countOf(verified.checkedFiles, 'file')} match${verified.checkedFiles === 1 ? 'es' : ''} the manifest` : `Verify FAILED:\n  ${verified.problems.join('\n  ')}`);
	}
	return verified && !verified.ok ? 5 : 0;
}
