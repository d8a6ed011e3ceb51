import {backupKindLabel, listDestination} from '../core/backup/list-backups.js';
import {listingJson} from '../core/backup/list-json.js';
import {printable} from '../core/destinations/destination.js';
import {formatAge, formatBytes, formatRetry} from '../core/format.js';
import {clearProgress, defaultBackupDir, openTarget, progressLine, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup list [--dest DIR|URL|NAME] [--json]

Lists the backups in a folder (default LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups), an
s3:// azblob:// sftp:// URL or a named destination, newest first, reading only each
backup's summary (remote: a few KiB each, never the archive). A folder or prefix that does
not exist yet holds no backups. Remote flags: see lifeboat backup create --help.
`;

export async function run(context: CommandContext): Promise<number> {
	const {destination} = await openTarget(context, context.flags.dest ?? context.args[0] ?? defaultBackupDir(context.env));
	const destDir = destination.label;
	// A folder that does not exist yet (a fresh install) holds no backups; anything else unreadable is exit 4.
	const backups = await listDestination(destination, {summariesOnly: true, onRetry: note => progressLine(context, formatRetry(note))}).finally(() => destination.close());
	clearProgress(context);
	if (context.flags.json) {
		writeJson(context, {
			ok: true,
			backups: backups.map(backup => listingJson(backup, backups)),
		});
		return 0;
	}
	if (backups.length === 0) {
		writeLine(context, `No backups in ${destDir}`);
		return 0;
	}
	for (const backup of backups) {
		const meta = backup.summary;
		const scope = meta ? (meta.tenant ? `tenant ${meta.tenant}` : 'all tenants') : '';
		const detail = meta ? `${backupKindLabel(meta, backups)} · ${meta.categories.length} categories · ${scope}${backup.encrypted ? ' · encrypted' : ''}` : `unreadable: ${backup.error}`;
		writeLine(context, `${printable(backup.fileName).padEnd(40)} ${backup.createdAt.slice(0, 19).replace('T', ' ')}  ${formatAge(backup.createdAt).padEnd(15)} ${formatBytes(backup.size).padStart(9)}  ${backup.format.padEnd(6)} ${detail}`);
	}
	return 0;
}
