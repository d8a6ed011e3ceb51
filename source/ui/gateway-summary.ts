import fs from 'node:fs/promises';
import path from 'node:path';
import type {BackupListing} from '../core/backup/list-backups.js';
import {SummaryCache} from '../core/backup/summary-cache.js';
import {openLocalDestination} from '../core/destinations/local.js';
import {isUrl} from '../core/destinations/location.js';
import {isDestinationName} from '../core/destinations/named-destinations.js';
import {resolveTarget} from '../core/destinations/open-destination.js';
import {countCategories, listTenants, openGateway, type CategoryCount, type TenantSummary} from '../core/store/gateway-store.js';

export type GatewaySummary = {tenants: TenantSummary[]; counts: CategoryCount[]; totalBytes: number};

/** What Home shows about the gateway: tenants, counts per category, bytes on disk. */
export async function readGatewaySummary(dataDir: string): Promise<GatewaySummary> {
	const store = openGateway(dataDir);
	let tenants: TenantSummary[];
	let counts: CategoryCount[];
	try {
		tenants = listTenants(store);
		counts = countCategories(store);
	} finally {
		store.close();
	}
	return {tenants, counts, totalBytes: await directoryBytes(dataDir)};
}

async function directoryBytes(dir: string): Promise<number> {
	let total = 0;
	const entries = await fs.readdir(dir, {withFileTypes: true}).catch(() => []);
	for (const entry of entries) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) total += await directoryBytes(full);
		else if (entry.isFile()) total += (await fs.stat(full).catch(() => ({size: 0}))).size;
	}
	return total;
}

/**
 * Summaries the console has read (Home, Browse): a folder read again after a copy or a delete
 * reads only what changed. For listing only: verify and restore read the backups themselves.
 */
export const consoleSummaries = new SummaryCache();

/**
 * The newest backup in a folder that can be read, or undefined; an unreadable folder counts as
 * "none yet", and so does a file that is not a backup (a text file named notes.zip, a cut archive).
 * Only the newest few files are read (see newestBackup), never the whole folder.
 */
export async function latestBackup(backupDir: string, env: NodeJS.ProcessEnv = process.env): Promise<BackupListing | undefined> {
	// Imported here, not at start: the archive readers it brings would delay the console's first frame.
	const {newestBackup} = await import('../core/backup/list-backups.js');
	if (!isUrl(backupDir) && !isDestinationName(backupDir)) {
		try {
			await fs.access(backupDir);
		} catch {
			return undefined;
		}
		return newestBackup(openLocalDestination(backupDir), {cache: consoleSummaries});
	}
	// A URL or a named destination (`lifeboat --dest offsite`): its newest backups, or none when they cannot be read.
	try {
		const {destination} = await resolveTarget(backupDir, {env});
		try {
			return await newestBackup(destination);
		} finally {
			await destination.close();
		}
	} catch {
		return undefined;
	}
}
