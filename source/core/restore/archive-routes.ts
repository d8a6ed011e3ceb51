import fs from 'node:fs';
import path from 'node:path';
import {documentFileName, documentTextName, isPathSegment, type FileRoute} from '../archive/archive-paths.js';
import {LifeboatError} from '../errors.js';
import {MAX_SEGMENT_BYTES} from '../store/gateway-paths.js';
import type {GatewayFileSpec} from '../store/schema.js';
import {agentFilePolicy} from '../store/agent-files.js';
import type {IdMapper} from './id-map.js';

export {routeEntry, type EntryRoute, type FileRoute} from '../archive/archive-paths.js';
export {gatewayFileSpec, isRestorableTarget} from '../store/gateway-paths.js';
import {gatewayFileSpec, isRestorableTarget} from '../store/gateway-paths.js';

/** Where a file entry lands, relative to the data dir ('/'-separated), after id remapping. */
export function fileTarget(route: FileRoute, mapper: IdMapper): string {
	if (route.kind === 'gateway-file') return route.spec.path;
	const id = mapper.id(route.ownerId);
	switch (route.kind) {
		case 'agent-file':
			return `agents/${usableName(id, {what: 'agent', ownerId: route.ownerId, id, wanted: id})}/${route.rest}`;
		case 'document-file': {
			const name = documentFileName(id, route.ext);
			return `documents/files/${usableName(name, {what: 'document', ownerId: route.ownerId, id, wanted: `${id}.${route.ext}`})}`;
		}
		case 'document-text':
			return `documents/text/${usableName(documentTextName(id), {what: 'document', ownerId: route.ownerId, id, wanted: `${id}.txt`})}`;
	}
}

/** The name, or a one-line error naming the row's id (and what it became) and why it cannot name a file. */
function usableName(name: string | undefined, owner: {what: string; ownerId: string; id: string; wanted: string}): string {
	if (isPathSegment(name)) return name;
	const quote = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
	const bytes = Buffer.byteLength(owner.wanted, 'utf8');
	const why =
		owner.id === '' ? 'the id is empty'
		: /[/\u0000]/.test(owner.wanted) ? 'it holds a "/" or NUL'
		: bytes > MAX_SEGMENT_BYTES ? `${bytes} bytes, over ${MAX_SEGMENT_BYTES}`
		: 'it is "." or ".."';
	const remapped = owner.id === owner.ownerId ? '' : ` (remapped to ${quote(owner.id)})`;
	throw new LifeboatError('unsafe-archive', `${owner.what} ${quote(owner.ownerId)}${remapped} cannot name a file: ${quote(owner.wanted)} (${why}); nothing was restored`);
}

/** The agent id of an agents/<id>/… target. */
export function agentOfTarget(target: string): string | undefined {
	const [top, agent, ...rest] = target.split('/');
	return top === 'agents' && rest.length > 0 ? agent : undefined;
}

/**
 * How a file of the data dir is compared and merged: gateway JSON files and agent JSON files
 * (policy redact-json) as JSON with redacted secrets, anything else byte for byte.
 */
export function fileSpecOf(target: string): GatewayFileSpec | undefined {
	const gateway = gatewayFileSpec(target);
	if (gateway) return gateway;
	const agent = agentOfTarget(target);
	if (agent !== undefined && agentFilePolicy(target.slice(`agents/${agent}/`.length)) === 'redact-json') return {path: target, archivePath: target, kind: 'json'};
	return undefined;
}

/**
 * Absolute path of a target inside the data dir, refusing any existing component that is a
 * symlink or not a directory: a link planted in the data dir must not redirect a restore's
 * writes outside it.
 */
export function safeTarget(root: string, target: string): string {
	const segments = target.split('/');
	if (!isRestorableTarget(target) || segments.some(segment => segment === '' || segment === '.' || segment === '..')) {
		throw new LifeboatError('unsafe-archive', `Unsafe restore target ${target}; nothing was restored`);
	}
	let current = root;
	for (let index = 0; index < segments.length; index++) {
		current = path.join(current, segments[index]!);
		const stats = fs.lstatSync(current, {throwIfNoEntry: false});
		if (!stats) break;
		const last = index === segments.length - 1;
		if (stats.isSymbolicLink() || (!last && !stats.isDirectory()) || (last && !stats.isFile())) {
			throw new LifeboatError('conflict', `${target} in the data directory is a link or not a regular file; refusing to restore over it`);
		}
	}
	return path.join(root, ...segments);
}
