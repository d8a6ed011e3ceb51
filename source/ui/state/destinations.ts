/**
 * The destinations the console offers (the backup folder, each named destination, another path
 * or URL) and what a typed one means, decided without I/O so it is testable on its own.
 *
 * A destination is carried through the console as `where`: a local folder (an absolute path), a
 * named destination's name (so its stored settings, like an S3 endpoint, are used), or a URL.
 */
import {LifeboatError} from '../../core/errors.js';
import {folderLabel, isUrl, parseLocation} from '../../core/destinations/location.js';
import type {NamedDestination} from '../../core/destinations/named-destinations.js';

export type DestinationChoice = {
	key: string;
	/** What the engine resolves: a local folder, a destination's name, or a URL. */
	where: string;
	/** Printable: the folder, or the URL (no secret). */
	url: string;
	remote: boolean;
	/** The named destination this row is. */
	name?: string;
	/** The "another path or URL…" row. */
	other?: boolean;
	/** Why this named destination cannot be used (its stored URL does not parse). */
	problem?: string;
};

export const OTHER_CHOICE: DestinationChoice = {key: ':other', where: '', url: '', remote: false, other: true};

function namedChoice(named: NamedDestination): DestinationChoice {
	try {
		const location = parseLocation(named.url);
		if (location.kind === 'local') return {key: `name:${named.name}`, where: location.folder, url: location.folder, remote: false, name: named.name};
		return {key: `name:${named.name}`, where: named.name, url: folderLabel(location), remote: true, name: named.name};
	} catch (error) {
		return {key: `name:${named.name}`, where: named.name, url: named.url, remote: true, name: named.name, problem: (error as Error).message};
	}
}

/** The list: the backup folder first, then each named destination, then "another path or URL…". */
export function destinationChoices(backupDir: string, named: readonly NamedDestination[]): DestinationChoice[] {
	return [{key: ':local', where: backupDir, url: backupDir, remote: false}, ...named.map(namedChoice), OTHER_CHOICE];
}

/**
 * What a typed destination means: a named destination's name, a URL, or a local folder (`~` and
 * relative paths resolved). A folder or prefix only: a URL naming one backup is refused, since
 * the wizard's next step names it. Throws a LifeboatError with one line when it cannot be used.
 */
export function typedDestination(text: string, named: readonly NamedDestination[]): DestinationChoice {
	const trimmed = text.trim();
	if (trimmed === '') throw new LifeboatError('usage', 'Type a folder, a URL (s3://, azblob://, sftp://) or a destination name');
	const found = isUrl(trimmed) ? undefined : named.find(candidate => candidate.name === trimmed);
	if (found) {
		const choice = namedChoice(found);
		if (choice.problem) throw new LifeboatError('usage', choice.problem);
		return choice;
	}
	const location = parseLocation(trimmed);
	if (location.object) throw new LifeboatError('usage', `${trimmed} names one backup; type its folder or prefix (the name comes next)`);
	if (location.kind === 'local') return {key: `typed:${location.folder}`, where: location.folder, url: location.folder, remote: false};
	return {key: `typed:${trimmed}`, where: trimmed, url: folderLabel(location), remote: true};
}

/** True when `where` is a plain local folder (read as before, without opening a destination). */
export function isLocalWhere(where: string, named: readonly NamedDestination[]): boolean {
	return !isUrl(where) && !named.some(candidate => candidate.name === where);
}

/** How a `where` reads in a title: a named one as "name · URL". */
export function describeWhere(where: string, named: readonly NamedDestination[]): string {
	const found = isUrl(where) ? undefined : named.find(candidate => candidate.name === where);
	if (!found) return where;
	return `${found.name} · ${namedChoice(found).url}`;
}

/**
 * describeWhere cut to `width` columns: a named destination keeps its name whole (it is what the
 * operator picked) and its URL loses its start; a path or URL loses its start.
 */
export function fitWhere(where: string, named: readonly NamedDestination[], width: number, fit: (text: string, width: number) => string): string {
	const found = isUrl(where) ? undefined : named.find(candidate => candidate.name === where);
	if (!found) return fit(where, width);
	const head = `${found.name} · `;
	return head.length + 4 > width ? fit(found.name, width) : head + fit(namedChoice(found).url, width - head.length);
}

/** Why a choice cannot take this backup (a folder-format one goes to a local folder only). */
export function choiceProblem(choice: DestinationChoice, format: string): string | undefined {
	if (choice.problem) return choice.problem;
	if (choice.remote && format === 'dir') return 'folder (dir) backups can only go to a local folder: Esc back to Format and pick zip or tar.gz';
	return undefined;
}
