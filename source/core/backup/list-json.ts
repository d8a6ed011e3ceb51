/**
 * One backup of a listing as JSON, shared by `backup list --json` and `lifeboat serve`'s list
 * route (names, dates, scope and counts: nothing secret, also for an encrypted backup).
 */
import {backupKindLabel, type BackupListing} from './list-backups.js';

export function listingJson(backup: BackupListing, backups: readonly BackupListing[]) {
	return {
		path: backup.path,
		name: backup.summary?.name ?? backup.fileName,
		createdAt: backup.createdAt,
		size: backup.size,
		format: backup.format,
		encrypted: backup.encrypted,
		id: backup.summary?.id,
		kind: backup.summary?.backupKind,
		baseBackupId: backup.summary?.baseBackupId,
		fullBackupId: backup.summary?.fullBackupId,
		kindLabel: backup.summary ? backupKindLabel(backup.summary, backups) : undefined,
		categories: backup.summary?.categories,
		counts: backup.summary?.counts,
		tenant: backup.summary ? backup.summary.tenant : undefined,
		// The slug above can change hands; the id cannot (absent from an older encrypted header).
		tenantId: backup.summary ? (backup.summary.tenantId ?? (backup.summary.tenant === null ? null : undefined)) : undefined,
		// Which gateway made it (a digest of its host name and data folder; absent from an older encrypted header).
		gateway: backup.summary?.gateway ?? undefined,
		error: backup.error,
	};
}
