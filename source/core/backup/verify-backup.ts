import crypto from 'node:crypto';
import fs from 'node:fs';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {MANIFEST_PATH, METADATA_PATH, type BackupManifest, type BackupMetadata} from '../archive/archive-format.js';
import {routeEntry} from '../archive/archive-paths.js';
import {jsonEntryCeiling, openArchive, readAll, unreadable, type ArchiveEntry, type ArchiveSource} from '../archive/archive-reader.js';
import {READ_LIMITS} from '../archive/entry-guard.js';
import {LineSplitter} from '../archive/line-splitter.js';
import {LifeboatError, outsideRestore} from '../errors.js';
import {bufferAllocated} from '../gc-pacer.js';
import {parseJsonBounded, utf8Text} from '../json-text.js';
import {isLifeboatBackup} from './backup-sniff.js';
import {parseManifest, parseMetadata, readMetadata} from './read-metadata.js';
import {RowAudit} from './verify-rows.js';
import {skippingOrderedIds} from '../rows/reference-check.js';

export type VerifyProgress = {bytesDone: number; bytesTotal: number; filesDone: number; current: string};

export type VerifyResult = {
	ok: boolean;
	/** One sentence per problem, naming the file concerned. */
	problems: string[];
	metadata?: BackupMetadata;
	manifest?: BackupManifest;
	/** Files and bytes checked, metadata.json and manifest.json aside: the backup's totalFiles and totalBytes when it is whole. */
	checkedFiles: number;
	checkedBytes: number;
	/** The most specific error code among the problems (for the exit code). */
	code?: LifeboatError['code'];
};

/** Runs a pipeline; a failure names the entry being read. */
async function pipelineNaming(name: string, ...streams: Parameters<typeof pipeline>): Promise<void> {
	try {
		await pipeline(...streams);
	} catch (error) {
		if (error instanceof LifeboatError) {
			if (error.message.includes(name)) throw error;
			throw new LifeboatError(error.code, `${name}: ${error.message}`, {cause: error});
		}
		// A read that failed (EIO from a failing disk) says nothing of the bytes: the backup could
		// not be read where it is (exit 4), not that it is damaged.
		throw new LifeboatError(unreadable(error) ? 'destination' : 'corrupt-archive', `${name}: cannot be read (${(error as Error).message})`, {cause: error});
	}
}

/**
 * Splits an entry's bytes into lines as they stream (line-splitter.ts), counting the non-empty
 * lines the way restore numbers them.
 */
async function readEntryLines(entry: ArchiveEntry, onLine: (line: string, number: number) => void, onBytes: (chunk: Buffer) => void): Promise<void> {
	const splitter = new LineSplitter({what: entry.path});
	let number = 0;
	const emit = (line: string) => {
		if (line.trim().length > 0) onLine(line, ++number);
	};
	for await (const chunk of entry.open()) {
		onBytes(chunk as Buffer);
		splitter.push(chunk as Buffer, emit);
	}
	splitter.end(emit);
}

type Digest = {size: number; sha256: string};

/**
 * Streams through every entry once, hashing it, then checks the result against manifest.json:
 * every listed file present with its size and SHA-256, nothing extra, metadata well-formed and
 * of a supported version. Path, link and bomb checks happen as entries are read. Unless
 * `rows: false`, every row and file is also checked the way restore checks it (verify-rows.ts),
 * so a backup that verifies is a backup that restores.
 */
export async function verifyBackup(source: ArchiveSource, options: VerifyOptions = {}): Promise<VerifyResult> {
	// The row audit first skips the ids of tables nothing references while they come in order
	// (reference-check.ts); a table out of order (never a Lifeboat backup's) is read again.
	return skippingOrderedIds(skip => verifyOnce(source, options, skip));
}

type VerifyOptions = {
	onProgress?: (progress: VerifyProgress) => void;
	signal?: AbortSignal;
	rows?: boolean;
	/**
	 * Entries the caller reads whole and checks against manifest.json itself (a restore's pass:
	 * size and SHA-256 of every entry it restores): not read here, so their bytes are inflated and
	 * hashed once; their names and declared sizes are still checked against the manifest.
	 */
	checkedElsewhere?: (path: string) => boolean;
};

/** The digest of an entry checkedElsewhere until the manifest is read (never a SHA-256's hex). */
const CHECKED_ELSEWHERE = 'checked elsewhere';

async function verifyOnce(source: ArchiveSource, options: VerifyOptions, skipOrderedIds: boolean): Promise<VerifyResult> {
	const problems: string[] = [];
	const seen = new Map<string, Digest>();
	let metadata: BackupMetadata | undefined;
	let manifest: BackupManifest | undefined;
	let code: LifeboatError['code'] | undefined;
	let bytesDone = 0;
	const fail = (error: unknown) => {
		if (!(error instanceof LifeboatError)) throw error;
		// Said as verify says it (a restore that verifies first adds that it restored nothing).
		problems.push(outsideRestore(error).message);
		code ??= error.code;
	};
	let audit: RowAudit | undefined;
	const rowProblems = new Map<string, string>();
	try {
		// Without readable metadata there is no scope to check rows against: the scan below says why.
		if (options.rows !== false) audit = await readMetadata(source).then(metadata => new RowAudit(metadata, {skipOrderedIds}), () => undefined);
		for await (const entry of openArchive(source).entries()) {
			if (options.signal?.aborted) throw options.signal.reason ?? new LifeboatError('interrupted', 'Verify cancelled');
			if (entry.kind === 'directory') continue;
			if (seen.has(entry.path)) {
				problems.push(`${entry.path}: appears twice in the archive`);
				code ??= 'unsafe-archive';
			}
			if (entry.refusal) {
				// Not inflated (the manifest does not list it, or with another size): the manifest checks below say so.
				seen.set(entry.path, {size: entry.size, sha256: ''});
				code ??= 'unsafe-archive';
				continue;
			}
			if (entry.path === METADATA_PATH || entry.path === MANIFEST_PATH) {
				const text = await readAll(entry, jsonEntryCeiling(entry.path));
				seen.set(entry.path, {size: text.length, sha256: crypto.createHash('sha256').update(text).digest('hex')});
				try {
					if (entry.path === METADATA_PATH) metadata = parseMetadata(text);
					else manifest = parseManifest(text);
				} catch (error) {
					fail(error);
				}
				continue;
			}
			if (options.checkedElsewhere?.(entry.path)) {
				seen.set(entry.path, {size: entry.size, sha256: CHECKED_ELSEWHERE});
				bytesDone += entry.size;
				options.onProgress?.({bytesDone, bytesTotal: metadata?.totalBytes ?? 0, filesDone: seen.size, current: entry.path});
				continue;
			}
			const digest = await checkEntry(entry, audit, rowProblems, chunk => {
				bytesDone += chunk.length;
			});
			seen.set(entry.path, digest);
			options.onProgress?.({bytesDone, bytesTotal: metadata?.totalBytes ?? 0, filesDone: seen.size, current: entry.path});
		}
		if (audit) for (const problem of audit.finish()) rowProblems.set(`(rows ${rowProblems.size})`, problem);
	} catch (error) {
		fail(error);
		return foreign(source, seen.has(METADATA_PATH), {ok: false, problems, metadata, manifest, checkedFiles: dataFiles(seen), checkedBytes: bytesDone, code});
	} finally {
		audit?.close();
	}
	settleCheckedElsewhere(seen, manifest);
	const fileProblems = [...manifestProblems(seen, metadata, manifest), ...totalsProblems(seen, metadata, manifest), ...categoryProblems(seen, metadata)];
	problems.push(...fileProblems);
	// A damaged file is reported as damaged, not by the rows its damage broke.
	if (fileProblems.length === 0) problems.push(...rowProblems.values());
	if (problems.length > 0) code ??= 'corrupt-archive';
	return foreign(source, seen.has(METADATA_PATH), {ok: problems.length === 0, problems, metadata, manifest, checkedFiles: dataFiles(seen), checkedBytes: bytesDone, code});
}

/**
 * An entry checked elsewhere counts as matching the manifest where the manifest lists it with its
 * declared size (its content is the caller's to check); otherwise as not matching.
 */
function settleCheckedElsewhere(seen: Map<string, Digest>, manifest: BackupManifest | undefined): void {
	const listed = new Map(manifest?.files.map(file => [file.path, file]));
	for (const [name, digest] of seen) {
		if (digest.sha256 !== CHECKED_ELSEWHERE) continue;
		const file = listed.get(name);
		seen.set(name, {size: digest.size, sha256: file && file.size === digest.size ? file.sha256 : ''});
	}
}

/** Entries read other than metadata.json and manifest.json (which the backup's totals leave out too). */
function dataFiles(seen: ReadonlyMap<string, unknown>): number {
	return seen.size - (seen.has(METADATA_PATH) ? 1 : 0) - (seen.has(MANIFEST_PATH) ? 1 : 0);
}

/**
 * A failed verify of something that was never a Lifeboat backup (a zip or tar.gz of other files,
 * a damaged file with a zip's first bytes) says exactly that in one line, not the problems of a
 * backup it never was: no metadata.json was read, and its content is not a backup's
 * (backup-sniff.ts). An archive that holds a metadata.json, or whose first problem is that it is
 * unsafe, keeps its own diagnosis.
 */
function foreign(source: ArchiveSource, hasMetadataEntry: boolean, result: VerifyResult): VerifyResult {
	// A folder never gets here without metadata.json: plainFileSource refuses it before it is read.
	if (result.ok || hasMetadataEntry || source.format === 'dir' || result.code === 'unsafe-archive' || result.code === 'destination' || !fs.existsSync(source.label) || isLifeboatBackup(source.label)) return result;
	const what = source.format === 'json' ? 'a JSON file that does not begin like a Lifeboat bundle' : `a ${source.format} whose first entry is not Lifeboat's metadata.json`;
	return {...result, problems: [`${source.label} is not a Lifeboat backup (${what})`], code: 'corrupt-archive'};
}

/** Hashes one entry; a table's rows and a file's owner go to the row audit on the way. */
async function checkEntry(entry: ArchiveEntry, audit: RowAudit | undefined, rowProblems: Map<string, string>, onBytes: (chunk: Buffer) => void): Promise<Digest> {
	const hash = crypto.createHash('sha256');
	let size = 0;
	const count = (chunk: Buffer) => {
		hash.update(chunk);
		bufferAllocated(chunk.length);
		size += chunk.length;
		onBytes(chunk);
	};
	const route = audit ? routeEntry(entry.path) : undefined;
	if (route?.kind === 'unsafe') throw new LifeboatError('unsafe-archive', `${entry.path}: ${route.reason}`);
	if (route?.kind === 'table') {
		// The first bad row of a file is kept and the rest of the file still hashed, so a file
		// that does not match its checksum is reported as such.
		await readEntryLines(entry, (line, number) => {
			if (rowProblems.has(entry.path)) return;
			try {
				audit!.row(route, line, `${entry.path} line ${number}`);
			} catch (error) {
				if (!(error instanceof LifeboatError)) throw error;
				rowProblems.set(entry.path, outsideRestore(error).message);
			}
		}, count);
		audit!.tableDone(route.table.name);
	} else if (route?.kind === 'gateway-file' && route.spec.kind === 'json') {
		audit!.file(entry.path, route);
		const text = await readJsonFile(entry, count);
		// Read as restore reads it (restore-pass.ts): a file restore cannot parse fails verify too.
		try {
			parseJsonBounded(utf8Text(text) ?? '');
		} catch {
			rowProblems.set(entry.path, `${entry.path}: not valid JSON`);
		}
	} else {
		if (route && route.kind !== 'metadata' && route.kind !== 'manifest' && route.kind !== 'two-factor' && route.kind !== 'index' && route.kind !== 'unknown') audit!.file(entry.path, route);
		await pipelineNaming(entry.path, entry.open(), new Writable({
			write(chunk: Buffer, _encoding, callback) {
				count(chunk);
				callback();
			},
		}));
	}
	return {size, sha256: hash.digest('hex')};
}

/** A gateway JSON file, read whole as restore reads it, within READ_LIMITS.maxJsonFileBytes (checked as it streams). */
async function readJsonFile(entry: ArchiveEntry, count: (chunk: Buffer) => void): Promise<Buffer> {
	const limit = READ_LIMITS.maxJsonFileBytes;
	const tooLarge = (size: number) => new LifeboatError('unsafe-archive', `${entry.path}: ${size} bytes, over the ${limit}-byte limit of a gateway JSON file; refusing to read it`);
	if (entry.size > limit) throw tooLarge(entry.size);
	const chunks: Buffer[] = [];
	let size = 0;
	await pipelineNaming(entry.path, entry.open(), new Writable({
		write(chunk: Buffer, _encoding, callback) {
			size += chunk.length;
			if (size > limit) return callback(tooLarge(size));
			count(chunk);
			chunks.push(chunk);
			callback();
		},
	}));
	return Buffer.concat(chunks);
}

/** Every manifest entry present with its size and SHA-256, nothing unlisted, totals agreeing. */
function manifestProblems(seen: ReadonlyMap<string, Digest>, metadata: BackupMetadata | undefined, manifest: BackupManifest | undefined): string[] {
	const problems: string[] = [];
	if (!seen.has(METADATA_PATH)) problems.push('metadata.json: missing (not a Lifeboat backup)');
	if (!seen.has(MANIFEST_PATH)) problems.push('manifest.json: missing (the backup was not finished or was cut short)');
	if (!manifest) return problems;
	const listed = new Set<string>();
	for (const file of manifest.files) {
		listed.add(file.path);
		const actual = seen.get(file.path);
		if (!actual) problems.push(`${file.path}: listed in the manifest but missing from the archive`);
		else if (actual.size !== file.size) problems.push(`${file.path}: size ${actual.size} does not match the manifest (${file.size})`);
		else if (actual.sha256 !== file.sha256) problems.push(`${file.path}: checksum mismatch (file is corrupted)`);
	}
	for (const name of seen.keys()) {
		if (name !== MANIFEST_PATH && !listed.has(name)) problems.push(`${name}: in the archive but not in the manifest`);
	}
	if (metadata && manifest.totalBytes !== metadata.totalBytes) problems.push('manifest.json: total bytes disagree with metadata.json');
	return problems;
}

/**
 * The totals metadata.json and manifest.json declare against what was read: the files other than
 * those two and their bytes (metadata.json is listed in the manifest but not counted in totals).
 */
function totalsProblems(seen: Map<string, {size: number}>, metadata: BackupMetadata | undefined, manifest: BackupManifest | undefined): string[] {
	const problems: string[] = [];
	let files = 0;
	let bytes = 0;
	for (const [name, {size}] of seen) {
		if (name === METADATA_PATH || name === MANIFEST_PATH) continue;
		files++;
		bytes += size;
	}
	if (metadata && metadata.totalFiles !== files) problems.push(`metadata.json: totalFiles ${metadata.totalFiles} does not match the ${files} files in the archive`);
	if (metadata && metadata.totalBytes !== bytes) problems.push(`metadata.json: totalBytes ${metadata.totalBytes} does not match the ${bytes} bytes in the archive`);
	if (manifest) {
		const listedBytes = manifest.files.reduce((sum, file) => sum + (file.path === METADATA_PATH ? 0 : file.size), 0);
		if (manifest.totalFiles !== manifest.files.length) problems.push(`manifest.json: totalFiles ${manifest.totalFiles} does not match the ${manifest.files.length} files it lists`);
		if (manifest.totalBytes !== listedBytes) problems.push(`manifest.json: totalBytes ${manifest.totalBytes} does not match the ${listedBytes} bytes it lists`);
	}
	return problems;
}

/**
 * Each category's files and bytes as metadata.json counts them (every entry of the category:
 * tables, files, the 2FA block), and no entry of a category it does not list: a backup that
 * verifies holds exactly what its metadata says.
 */
export function categoryProblems(seen: ReadonlyMap<string, {size: number}>, metadata: BackupMetadata | undefined): string[] {
	if (!metadata) return [];
	const found = new Map<string, {files: number; bytes: number}>();
	const problems: string[] = [];
	for (const [name, {size}] of seen) {
		const route = routeEntry(name);
		if (!('category' in route)) continue;
		if (!metadata.categories.includes(route.category)) {
			problems.push(`${name}: in the archive, but its category ${route.category} is not one metadata.json lists`);
			continue;
		}
		const total = found.get(route.category) ?? {files: 0, bytes: 0};
		total.files++;
		total.bytes += size;
		found.set(route.category, total);
	}
	for (const category of metadata.categories) {
		const expected = metadata.counts[category];
		const actual = found.get(category) ?? {files: 0, bytes: 0};
		if (expected && (expected.files !== actual.files || expected.bytes !== actual.bytes)) {
			problems.push(`${category}: ${actual.files} files (${actual.bytes} bytes) in the archive, metadata.json says ${expected.files} (${expected.bytes} bytes)`);
		}
	}
	return problems;
}

