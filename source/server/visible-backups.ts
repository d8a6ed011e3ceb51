/**
 * Which backups a request sees. A tenant sees the backups scoped to it (made with its tenant, by
 * the API or `backup create --tenant`). Whole-gateway backups (and unreadable files) hold every
 * tenant's data: only a token without a tenants= limit sees them. A backup is matched to the
 * tenant by id, not slug (a deleted tenant's slug can be another's). Another tenant's backup is
 * "Backup not found", never "Permission denied", so names of other tenants' backups do not leak.
 */
import {listDestination, type BackupListing} from '../core/backup/list-backups.js';
import type {Destination} from '../core/destinations/destination.js';
import type {RequestAuth} from './auth.js';
import {backupNotFound} from './http-errors.js';

export function visibleTo(auth: RequestAuth, listing: BackupListing): boolean {
	const summary = listing.summary;
	if (!summary || summary.tenant === null) return !auth.token.tenants;
	// By the tenant's id: a slug can be renamed, and a deleted tenant's slug taken by a new tenant.
	if (typeof summary.tenantId === 'string') return summary.tenantId === auth.tenant?.id;
	// An encrypted backup whose header predates the id (its summary is all that is readable): by slug.
	return summary.tenant === auth.tenant?.slug;
}

export async function visibleBackups(destination: Destination, auth: RequestAuth): Promise<{visible: BackupListing[]; all: BackupListing[]}> {
	const all = await listDestination(destination, {summariesOnly: true});
	return {visible: all.filter(listing => visibleTo(auth, listing)), all};
}

/** The backup `name` names (its file name, or its name without the extension), if the request may see it. */
export async function findVisible(destination: Destination, auth: RequestAuth, name: string): Promise<BackupListing> {
	const {visible} = await visibleBackups(destination, auth);
	const found = visible.find(listing => listing.fileName === name) ?? visible.find(listing => listing.summary?.name === name);
	if (!found) throw backupNotFound();
	return found;
}
