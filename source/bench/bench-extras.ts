/**
 * The figures measured by benchmarks of their own modules (listing, restore, console start):
 * each is loaded at run time and reported "not measured" when its module is not in this build.
 */
import path from 'node:path';

export type ListFigure = {count: number; seconds: number; peakRssKb: number; valid: number; total: number};
export type RestoreFigure = {rows: number; seconds: number; peakRssKb: number; floor?: {seconds: number; archiveSeconds: number; sqliteSeconds: number}};
/** Console first frames, and Node's own start measured beside them (bench-start.ts). */
export type StartFigure = {medianMs: number; runs: number[]; nodeMedianMs?: number; nodeRuns?: number[]; withoutExtraCerts?: {medianMs: number; nodeMedianMs: number}};
export type Extras = {list?: ListFigure; replace?: RestoreFigure; dryRun?: RestoreFigure; start?: StartFigure};

/** `repeat`: runs of each restore figure (their medians are kept). */
export type ExtraCounts = {rows: number; listCount: number; repeat: number};

/** A sibling module, or undefined when this build does not have it (any other failure is thrown). */
async function optional<T>(name: string): Promise<T | undefined> {
	// A variable specifier: resolved at run time, so a build without the module still compiles.
	const specifier = `./${name}.js`;
	try {
		return (await import(specifier)) as T;
	} catch (error) {
		const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`${name}.js`);
		if (missing) return undefined;
		throw error;
	}
}

type ListModule = {listBench?: (workDir: string, count: number, repeat: number) => Promise<Omit<ListFigure, 'count'>>};
type RestoreModule = {
	benchReplaceRestore?: (workDir: string, rows: number, repeat: number) => Promise<Omit<RestoreFigure, 'rows'>>;
	benchCliDryRun?: (workDir: string, entries: number, repeat: number) => Promise<Omit<RestoreFigure, 'rows'>>;
};
type StartModule = {consoleStartBench?: () => Promise<StartFigure>};

/** Runs whichever of the listing, restore and console-start benchmarks this build has. */
export async function measureExtras(work: string, counts: ExtraCounts, progress: (text: string) => void): Promise<Extras> {
	const extras: Extras = {};
	const list = await optional<ListModule>('bench-list');
	if (list?.listBench) {
		progress(`Timing backup list of ${counts.listCount.toLocaleString('en-US')} backups…`);
		extras.list = {count: counts.listCount, ...(await list.listBench(path.join(work, 'list'), counts.listCount, counts.repeat))};
	}
	const restore = await optional<RestoreModule>('bench-restore');
	if (restore?.benchReplaceRestore) {
		progress(`Timing a replace restore of ${counts.rows.toLocaleString('en-US')} rows (${counts.repeat} run${counts.repeat === 1 ? '' : 's'})…`);
		extras.replace = {rows: counts.rows, ...(await restore.benchReplaceRestore(path.join(work, 'restore'), counts.rows, counts.repeat))};
	}
	if (restore?.benchCliDryRun) {
		progress(`Timing a CLI restore dry run of ${counts.rows.toLocaleString('en-US')} entries against a populated gateway (${counts.repeat} run${counts.repeat === 1 ? '' : 's'})…`);
		extras.dryRun = {rows: counts.rows, ...(await restore.benchCliDryRun(path.join(work, 'restore'), counts.rows, counts.repeat))};
	}
	const start = await optional<StartModule>('bench-start');
	if (start?.consoleStartBench) {
		progress('Timing the console’s first frame…');
		extras.start = await start.consoleStartBench();
	}
	return extras;
}
