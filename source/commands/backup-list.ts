import {listBackupsOrNone} from '../core/backup/list-backups.js';
import {formatAge, formatBytes} from '../core/format.js';
import {defaultBackupDir, writeJson, writeLine, type CommandContext} from './command-context.js';

export const help = `
Usage
  $ lifeboat backup list [--dest DIR] [--json]

Lists the backups in DIR (default LIFEBOAT_BACKUP_DIR or ~/lifeboat-backups), newest first,
reading only each archive's metadata. A folder that does not exist yet holds no backups.
`;

export async function run(context: CommandContext): Promise<number> {
	const destDir = context.flags.dest ?? context.args[0] ?? defaultBackupDir(context.env);
	// A folder that does not exist yet (a fresh install) holds no backups; anything else unreadable is exit 4.
	const backups = await listBackupsOrNone(destDir);
	if (context.flags.json) {
		writeJson(context, {
			ok: true,
			backups: backups.map(backup => ({
				path: backup.path,
				name: backup.summary?.name ?? backup.fileName,
				createdAt: backup.createdAt,
				size: backup.size,
				format: backup.format,
				encrypted: backup.encrypted,
				kind: backup.summary?.backupKind,
				categories: backup.summary?.categories,
				counts: backup.summary?.counts,
				tenant: backup.summary ? backup.summary.tenant : undefined,
				error: backup.error,
			})),
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
		const detail = meta ? `${meta.categories.length} categories · ${scope}${backup.encrypted ? ' · encrypted' : ''}` : `unreadable: ${backup.error}`;
		writeLine(context, `${backup.fileName.padEnd(40)} ${backup.createdAt.slice(0, 19).replace('T', ' ')}  ${formatAge(backup.createdAt).padEnd(15)} ${formatBytes(backup.size).padStart(9)}  ${backup.format.padEnd(6)} ${detail}`);
	}
	return 0;
}
