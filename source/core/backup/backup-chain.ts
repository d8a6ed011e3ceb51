/**
 * Incremental chains: finding an incremental's base when one is made, finding the full backup
 * and every link after it when one is read, and presenting a chain as one backup.
 *
 * A chain is read as its merged view: a private scratch folder backup (0700, under
 * LIFEBOAT_TMPDIR or the system temp folder, removed by `close()`) holding the chain's final
 * state, the latest version of every row and file with tombstones applied, with its own
 * metadata.json and manifest.json. Restore, dry run, verify, drill and diff read it like any
 * other backup, so a chain plans as one backup: an entry added in one link and deleted in a later
 * one is not there at all, an entry changed twice is there once. The links are read newest first,
 * once each, each checked against its own manifest on the way; which link holds the latest
 * version of an id is resolved in a temporary SQLite file, so memory does not grow with the data.
 */
import {freshPidScratch, scratchFailure} from '../pid-scratch.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {gatewayKey, holdsTenant, type BackupMetadata, type BackupSummary} from '../archive/archive-format.js';
import type {ArchiveSource} from '../archive/archive-reader.js';
import type {Destination} from '../destinations/destination.js';
import {LifeboatError} from '../errors.js';
import {PRIVATE_DIR_MODE} from '../private-fs.js';
import {openBackupSource} from './backup-source.js';
import type {ChainLinkRef, IncrementalBase} from './create-backup.js';
import {listDestination, type BackupListing} from './list-backups.js';
import {mergeChain, type ChainLink} from './chain-merge.js';
import {readMetadata} from './read-metadata.js';
import {destinationBlob, openStoredBackup, type StoredBackupRef} from './stored-backup.js';

export type {ChainLink} from './chain-merge.js';

/** Longest chain read (a crafted base loop or an absurd chain is refused before it is walked). */
export const MAX_CHAIN_LINKS = 1000;

function linkRef(metadata: Pick<BackupMetadata, 'id' | 'name' | 'createdAt'>): ChainLinkRef {
	return {id: metadata.id, name: metadata.name, createdAt: metadata.createdAt};
}

/** Opens a backup a listing found at `destination`. */
export async function openListed(destination: Destination, listing: BackupListing, passphrase: string | undefined): Promise<ArchiveSource> {
	if (destination.kind === 'local') return openBackupSource(listing.path, {passphrase});
	return openBackupSource(await destinationBlob(destination, listing.fileName, listing.size), {passphrase});
}

function sameCategories(a: readonly string[], b: readonly string[]): boolean {
	return a.length === b.length && a.every(id => b.includes(id));
}

export type BaseChoice = {base?: string; sinceLast?: boolean};

/**
 * The base of a new incremental at `destination`: `--base ID|NAME` (a backup's id, name or file
 * name), or `--since-last`: the newest backup of the same scope (tenant and categories). Its index
 * is read later (backup-index.ts); an encrypted base needs the passphrase the new backup is
 * encrypted with (the same chain, the same passphrase).
 */
export async function findIncrementalBase(destination: Destination, choice: BaseChoice, scope: {gateway: string; tenant: {id: string; slug: string} | null; categories: readonly string[]}, passphrase: string | undefined): Promise<IncrementalBase> {
	const inScope = (summary: BackupSummary) => holdsTenant(summary, scope.tenant) && sameCategories(summary.categories, scope.categories);
	const scopeTenant = scope.tenant ? `tenant ${scope.tenant.slug}` : 'every tenant';
	const listings = (await listDestination(destination)).filter(listing => listing.summary && !listing.error);
	const found = choice.base !== undefined ? namedBase(listings, choice.base, destination, inScope, scopeTenant) : await newestOfOurs(listings, destination, scope, passphrase, inScope, scopeTenant);
	const {listing} = found;
	if (listing.encrypted && !passphrase) {
		throw new LifeboatError('usage', `${listing.path} is encrypted: an incremental of an encrypted chain must be encrypted too, with the same passphrase (add --encrypt or --passphrase-file)`);
	}
	const source = found.source ?? (await openListed(destination, listing, passphrase));
	const metadata = found.metadata ?? (await readMetadata(source));
	// An encrypted base's header may predate tenant ids (matched by slug): its metadata says whose it is.
	if ((metadata.tenant?.id ?? null) !== (scope.tenant?.id ?? null)) {
		throw new LifeboatError(choice.base !== undefined ? 'usage' : 'no-base', `${choice.base !== undefined ? `--base ${choice.base}` : '--since-last'}: ${listing.fileName} holds ${metadata.tenant ? `tenant ${metadata.tenant.slug} (${metadata.tenant.id})` : 'every tenant'}, not this backup's (${scopeTenant}${scope.tenant ? ` (${scope.tenant.id})` : ''}); an incremental must have its base's tenant`);
	}
	// An incremental on a base whose own chain is broken could never be restored: refused (exit 5).
	// So is one on a chain a link of which cannot be read just now (as a base that cannot be read is
	// passed over above): a scheduled run then makes a full backup instead, as for a broken chain.
	if (metadata.incremental) {
		try {
			await resolveChain(destination, {source, metadata, label: listing.path}, passphrase);
		} catch (error) {
			if (!(error instanceof LifeboatError)) throw error;
			const code = error instanceof LinkNotRead ? 'corrupt-archive' : error.code;
			throw new LifeboatError(code, `${error.message}; an incremental on ${metadata.name} could not be restored either: make a full backup (without --incremental)`, {cause: error});
		}
	}
	return {source, label: listing.path, link: linkRef(metadata), full: metadata.incremental?.full ?? linkRef(metadata)};
}

type FoundBase = {listing: BackupListing; source?: ArchiveSource; metadata?: BackupMetadata};

/** `--base ID|NAME`: that backup (it may be another gateway's: the chain restores this one's state all the same). */
function namedBase(listings: readonly BackupListing[], wanted: string, destination: Destination, inScope: (summary: BackupSummary) => boolean, scopeTenant: string): FoundBase {
	const listing = listings.find(row => row.summary!.id === wanted) ?? listings.find(row => row.summary!.name === wanted || row.fileName === wanted);
	if (!listing) throw new LifeboatError('usage', `--base ${wanted}: no backup of that id or name at ${destination.label} (see lifeboat backup list)`);
	const summary = listing.summary!;
	if (!inScope(summary)) {
		throw new LifeboatError('usage', `--base ${wanted}: that backup holds ${summary.tenant ? `tenant ${summary.tenant}` : 'every tenant'} (${summary.categories.join(', ')}), not this backup's scope (${scopeTenant}); an incremental must have its base's tenant and categories`);
	}
	return {listing};
}

/**
 * `--since-last`: the newest backup of the scope made by this gateway, never another gateway's
 * writing to the same destination. A summary without a gateway (an older encrypted header, or
 * metadata without its source) is opened: its metadata says whose it is, and another's is passed
 * over for the next. (Listings come newest first.)
 */
async function newestOfOurs(listings: readonly BackupListing[], destination: Destination, scope: {gateway: string; categories: readonly string[]}, passphrase: string | undefined, inScope: (summary: BackupSummary) => boolean, scopeTenant: string): Promise<FoundBase> {
	let others = 0;
	for (const listing of listings) {
		const summary = listing.summary!;
		if (!inScope(summary)) continue;
		if (summary.gateway === scope.gateway) return {listing};
		if (typeof summary.gateway === 'string' || (listing.encrypted && !passphrase)) {
			// Unopenable without the passphrase: taken, so the error says the chain needs one.
			if (typeof summary.gateway !== 'string') return {listing};
			others++;
			continue;
		}
		const source = await openListed(destination, listing, passphrase);
		const metadata = await readMetadata(source);
		if (gatewayKey(metadata.source) === scope.gateway) return {listing, source, metadata};
		others++;
	}
	const note = others > 0 ? ` (${others === 1 ? 'one backup' : `${others} backups`} of this scope there ${others === 1 ? 'was' : 'were'} made by another gateway: another host name or data folder)` : '';
	throw new LifeboatError('no-base', `--since-last: no earlier backup of this scope (${scopeTenant}, ${scope.categories.length} categories) at ${destination.label}${note}; make a full backup first (without --incremental)`);
}

/**
 * The first link (by id) a chain lacks among `listings`, following the summaries' base ids from
 * `baseId` down to a full backup; undefined when every link is listed. While a listing cannot be
 * read it may be the link: nothing is said missing then (as prune deletes nothing it cannot read).
 */
export function missingLink(listings: readonly BackupListing[], baseId: string): string | undefined {
	if (listings.some(listing => !listing.summary || listing.error)) return undefined;
	const byId = summariesById(listings);
	for (const id of chainIds(byId, baseId)) if (!byId.has(id)) return id;
	return undefined;
}

function summariesById(listings: readonly BackupListing[]): Map<string, BackupSummary> {
	return new Map(listings.filter(listing => listing.summary).map(listing => [listing.summary!.id, listing.summary!]));
}

/** The ids of a chain from `baseId` down, by the summaries' base ids, until a full backup or a link not listed (that one included). */
function* chainIds(byId: ReadonlyMap<string, BackupSummary>, baseId: string): Generator<string> {
	let id: string | null = baseId;
	for (let step = 0; id !== null && step < MAX_CHAIN_LINKS; step++) {
		yield id;
		const summary = byId.get(id);
		id = summary?.backupKind === 'incremental' ? summary.baseBackupId : null;
	}
}

/**
 * `--force` must not replace a backup the new incremental is built on (its base, or a link below
 * it): the new link would be published over the base it needs. Refused (exit 2) before anything
 * is written.
 */
export async function refuseReplacingChain(destination: Destination, fileName: string, baseId: string): Promise<void> {
	const listings = await listDestination(destination);
	const target = listings.find(listing => listing.fileName === fileName)?.summary;
	if (!target) return;
	for (const id of chainIds(summariesById(listings), baseId)) {
		if (id !== target.id) continue;
		throw new LifeboatError('usage', `--force would replace ${destination.locate(fileName)}, which this incremental is built on (${id === baseId ? 'its base' : 'a link of its chain'}); give the new backup another name`);
	}
}

/**
 * After an incremental is published at `destination`: the id of a link its chain lost while it
 * was written (a prune or a delete running meanwhile), or undefined when its chain is whole (or
 * the destination cannot be listed just now).
 */
export async function lostChainLink(destination: Destination, metadata: BackupMetadata): Promise<string | undefined> {
	if (!metadata.incremental) return undefined;
	let listings: BackupListing[];
	try {
		listings = await listDestination(destination);
	} catch (error) {
		// Not listable just now: the chain was whole when its base was chosen; nothing to say.
		if (error instanceof LifeboatError) return undefined;
		throw error;
	}
	return missingLink(listings, metadata.incremental.base.id);
}

/** A link of a chain that could not be read (exit 4): it may be there. An incremental is not made on it. */
class LinkNotRead extends LifeboatError {}

/** Up to three listed backups and why each could not be read ("x.zip cannot be read (EIO…)"), and how many more. */
function namedUnread(unread: readonly BackupListing[]): string {
	const named = unread.slice(0, 3).map(listing => (listing.error?.startsWith(listing.fileName) ? listing.error : `${listing.fileName}: ${listing.error}`));
	return named.join('; ') + (unread.length > 3 ? `; and ${unread.length - 3} more` : '');
}

/**
 * A link of the chain is not among the backups read at the destination. Where some could not be
 * read (a failing disk, a server refusing a read: not their bytes' damage), it may be one of them:
 * exit 4, try again; else the chain is broken (exit 5). The backups that could not be read, and those
 * that are no backup one can read, are named.
 */
function missingBase(destination: Destination, chain: {current: BackupMetadata; head: BackupMetadata; unread: readonly BackupListing[]}): LifeboatError {
	const {current, head, unread} = chain;
	const base = current.incremental!.base;
	const link = `${current.name} is an incremental of ${base.name} (made ${base.createdAt}, id ${base.id})`;
	const needs = `${head.name} needs every link from its full backup ${head.incremental!.full.name}`;
	const refused = unread.filter(listing => listing.errorCode === 'destination');
	const damaged = unread.filter(listing => listing.errorCode !== 'destination');
	const alsoDamaged = damaged.length > 0 ? `; ${damaged.length} there ${damaged.length === 1 ? 'is' : 'are'} no backup one can read (${namedUnread(damaged)})` : '';
	if (refused.length > 0) {
		const them = refused.length === 1 ? 'it' : 'one of them';
		return new LinkNotRead('destination', `${link}, which is not among the backups that could be read at ${destination.label}: ${refused.length} could not be read, and ${them} may be the link (${namedUnread(refused)})${alsoDamaged}; ${needs}; try again once ${refused.length === 1 ? 'it' : 'they'} can be read`);
	}
	return new LifeboatError('corrupt-archive', `Broken backup chain: ${link}, which is not at ${destination.label}${alsoDamaged}; ${needs}`);
}

/** A listed link opened and its metadata read; a read the destination refused is LinkNotRead (exit 4). */
async function readLink(destination: Destination, listing: BackupListing, passphrase: string | undefined): Promise<{source: ArchiveSource; metadata: BackupMetadata}> {
	try {
		const source = await openListed(destination, listing, passphrase);
		return {source, metadata: await readMetadata(source)};
	} catch (error) {
		if (error instanceof LifeboatError && error.code === 'destination') throw new LinkNotRead('destination', error.message, {cause: error});
		throw error;
	}
}

/**
 * The links of the chain that ends with `head`, full backup first, found by listing the
 * destination. A link that is not there is a one-line error naming it (exit 5).
 */
export async function resolveChain(destination: Destination, head: ChainLink, passphrase: string | undefined): Promise<ChainLink[]> {
	const links = [head];
	if (!head.metadata.incremental) return links;
	const byId = new Map<string, BackupListing>();
	const unread: BackupListing[] = [];
	for (const listing of await listDestination(destination)) {
		if (listing.error) unread.push(listing);
		else if (listing.summary && !byId.has(listing.summary.id)) byId.set(listing.summary.id, listing);
	}
	const full = head.metadata.incremental.full;
	let current = head.metadata;
	while (current.incremental) {
		const base = current.incremental.base;
		if (links.length >= MAX_CHAIN_LINKS || links.some(link => link.metadata.id === base.id)) {
			throw new LifeboatError('corrupt-archive', `${head.label}: its chain of incrementals loops or is longer than ${MAX_CHAIN_LINKS} links; it cannot be restored`);
		}
		const listing = byId.get(base.id);
		if (!listing) throw missingBase(destination, {current, head: head.metadata, unread});
		const {source, metadata} = await readLink(destination, listing, passphrase);
		if (metadata.id !== base.id) throw new LifeboatError('corrupt-archive', `${listing.path}: its metadata.json is not the backup ${base.name} its listing named`);
		links.unshift({source, metadata, label: listing.path});
		current = metadata;
	}
	if (current.id !== full.id) throw new LifeboatError('corrupt-archive', `${head.label}: its chain leads to the full backup ${current.name}, not to ${full.name} as its metadata says`);
	return links;
}

/** A backup opened for reading: a full one as it is, an incremental as its chain's merged view. */
export type OpenedBackup = {
	source: ArchiveSource;
	/** Undefined when the backup's metadata cannot be read (verify and restore then say why). */
	metadata?: BackupMetadata;
	/** The links read, full first (absent for a full backup). */
	chain?: Array<{id: string; name: string; createdAt: string; location: string}>;
	/** Removes the merged view's scratch folder (a no-op for a full backup). */
	close(): Promise<void>;
};

export type ChainProgress = {link: number; links: number; name: string};

/**
 * Opens the backup `ref` names. An incremental is read with its whole chain, found at the same
 * destination, and presented as one backup (see above). `onLink` reports each link as it is read.
 */
export async function openBackupChain(ref: StoredBackupRef, options: {passphrase?: string; signal?: AbortSignal; onLink?: (progress: ChainProgress) => void} = {}): Promise<OpenedBackup> {
	const source = await openStoredBackup(ref, {passphrase: options.passphrase});
	let metadata: BackupMetadata | undefined;
	try {
		metadata = await readMetadata(source);
	} catch (error) {
		// Not readable as a backup: the caller's verify or restore reports why, as for any backup.
		if (!(error instanceof LifeboatError)) throw error;
	}
	if (!metadata?.incremental) return {source, metadata, close: async () => undefined};
	const links = await resolveChain(ref.destination, {source, metadata, label: source.label}, options.passphrase);
	return openMerged(links, source.label, options);
}

/** Prefix of the scratch folders a chain is merged in (removed when the backup is closed). */
export const CHAIN_SCRATCH_PREFIX = 'lifeboat-chain-';

/** Merges resolved links (full first) into a scratch folder backup. */
export async function openMerged(links: ChainLink[], label: string, options: {signal?: AbortSignal; onLink?: (progress: ChainProgress) => void} = {}): Promise<OpenedBackup> {
	const base = process.env['LIFEBOAT_TMPDIR'] ?? os.tmpdir();
	// The merged state of an encrypted chain is plaintext: a killed run's is removed by the next one.
	const what = `Merging the incremental chain of ${label}`;
	const scratch = freshPidScratch(base, CHAIN_SCRATCH_PREFIX, what);
	const close = async () => fs.rmSync(scratch, {recursive: true, force: true});
	try {
		const metadata = await mergeChain(links, scratch, options);
		const chain = metadata.chain!;
		return {source: {format: 'dir', dir: path.join(scratch, 'backup'), label}, metadata, chain, close};
	} catch (error) {
		await close();
		throw scratchFailure(error, what);
	}
}
