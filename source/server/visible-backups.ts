/**
 * Which backups a request sees. A tenant sees the backups scoped to it (made with its tenant, by
 * the API or `backup create --tenant`). Whole-gateway backups (and unreadable files) hold every
 * tenant's data: only a token without a tenants= limit sees them. A backup is matched to the
 * tenant by id, not slug (a deleted tenant's slug can be another's). Another tenant's backup is
 * "Backup not found", never "Permission denied", so names of other tenants' backups do not leak.
 */
import {listDestination, listNamedBackup, type BackupListing} from '../core/backup/list-backups.js';
import {holdsTenant} from '../core/archive/archive-format.js';
import type {Destination} from '../core/destinations/destination.js';
import type {RequestAuth} from './auth.js';
import {backupNotFound} from './http-errors.js';

export function visibleTo(auth: RequestAuth, listing: BackupListing): boolean {
	const summary = listing.summary;
	if (!summary || summary.tenant === null) return !auth.token.tenants;
	// An encrypted header written before tenant ids names the slug only, which may have changed
	// hands since: only a token for every tenant sees such a backup (as a whole-gateway one).
	if (typeof summary.tenantId !== 'string' && auth.token.tenants) return false;
	return auth.tenant !== undefined && holdsTenant(summary, auth.tenant);
}

export async function visibleBackups(destination: Destination, auth: RequestAuth): Promise<{visible: BackupListing[]; all: BackupListing[]}> {
	const all = await listDestination(destination, {summariesOnly: true});
	return {visible: all.filter(listing => visibleTo(auth, listing)), all};
}

/**
 * The backup `name` names (its file name, or its name without the extension), if the request may
 * see it. A file of that name the request may see is found with one stat and one summary read;
 * any other name (a backup's name, which a file of another name can hold too), and any failure of
 * that read, is answered from the listing, as before.
 */
export async function findVisible(destination: Destination, auth: RequestAuth, name: string): Promise<BackupListing> {
	const named = await listNamedBackup(destination, name, {summariesOnly: true}).catch(() => 'unknown' as const);
	if (typeof named === 'object' && visibleTo(auth, named)) return named;
	const {visible} = await visibleBackups(destination, auth);
	const found = visible.find(listing => listing.fileName === name) ?? visible.find(listing => listing.summary?.name === name);
	if (!found) throw backupNotFound();
	return found;
}
