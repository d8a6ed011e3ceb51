/**
 * From what the operator typed (`--dest offsite`, `s3://bucket/gw1/x.zip`, `/srv/backups`) to an
 * open Destination plus, when the text names one backup, that backup's object name. Backends are
 * loaded on first use, so a local-only run never loads a cloud SDK.
 */
import {LifeboatError} from '../errors.js';
import type {Destination} from './destination.js';
import {openLocalDestination} from './local.js';
import {folderLabel, parseLocation, type Location} from './location.js';
import {lookupNamedDestination, type DestinationSettings} from './named-destinations.js';

export type OpenOptions = DestinationSettings & {
	env?: NodeJS.ProcessEnv;
	/** SFTP: add an unknown host's key to known_hosts (never a changed one). */
	trustHostKey?: boolean;
	/** What a local path names: see parseLocation. */
	localObject?: 'folder' | 'object' | 'auto';
};

export type ResolvedTarget = {
	destination: Destination;
	location: Location;
	/** The backup the text names, when it names one (an archive-looking last segment). */
	object?: string;
	/** The named destination used, if any. */
	name?: string;
};


export async function openLocation(location: Location, options: OpenOptions = {}): Promise<Destination> {
	const env = options.env ?? process.env;
	switch (location.kind) {
		case 'local':
			return openLocalDestination(location.folder);
		case 's3':
			return (await import('./s3.js')).openS3Destination(location, {endpoint: options.s3Endpoint, region: options.s3Region, env});
		case 'azblob':
			return (await import('./azblob.js')).openAzureDestination(location, {endpoint: options.azureEndpoint, env});
		case 'sftp':
			return (await import('./sftp.js')).openSftpDestination(location, {keyFile: options.sshKey, knownHostsFile: options.knownHosts, trustNewHostKey: options.trustHostKey, env});
	}
}

/**
 * Resolves `text` (a destination name, URL or path) and opens it. Settings given on the command
 * line win over a named destination's stored ones.
 */
export async function resolveTarget(text: string, options: OpenOptions = {}): Promise<ResolvedTarget> {
	const env = options.env ?? process.env;
	const named = lookupNamedDestination(text, env);
	const location = parseLocation(named?.url ?? text, {localObject: options.localObject});
	const merged: OpenOptions = {...named, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))};
	const destination = await openLocation(location, merged);
	return {destination, location, object: location.object, name: named?.name};
}

/** Refuses a folder-kind backup (`--format dir`) anywhere but a local folder. */
export function requireFileBackups(location: Location, format: string): void {
	if (location.kind !== 'local' && format === 'dir') throw new LifeboatError('usage', `${folderLabel(location)}: folder backups (--format dir) can only be written to a local folder; use zip or tar.gz`);
}
