import path from 'node:path';
import {DRILL_CHECKS, type DrillCheck, type DrillCheckId, type DrillCheckStatus, type DrillReport} from '../../core/drill/drill-types.js';
import {formatBytes, formatCount, formatDuration} from '../../core/format.js';
import {categorySpec, isCategoryId} from '../../core/store/schema.js';
import {fit, wrapJoined} from '../text-fit.js';

/**
 * The DR drill screen as a reducer: destination → backup (the latest highlighted) → passphrase
 * when encrypted → running (each check of DRILL_CHECKS pending, running, then pass / fail /
 * skip) → the result (RPO, RTO, the report files, the post-restore checklist). What the screen
 * shows of a result is built here as plain lines, so it is testable without rendering.
 */
export type DrillStep = 'destination' | 'other' | 'pick' | 'passphrase' | 'running' | 'done';

export type DrillBackup = {path: string; fileName: string; encrypted: boolean};

export type DrillReportFiles = {json: string; markdown: string};

export type DrillScreenState = {
	step: DrillStep;
	/** Where the backups are read: a local folder, a named destination's name, or a URL (state/destinations). */
	where: string;
	backup?: DrillBackup | undefined;
	passphrase?: string | undefined;
	/** Every check of DRILL_CHECKS, in order, as the engine last reported it. */
	checks: DrillCheck[];
	report?: DrillReport | undefined;
	reportFiles?: DrillReportFiles | undefined;
	/** The drill ran but its report files could not be written, and why. */
	reportError?: string | undefined;
	/** Bumped at each start: a new run (the same backup again) starts afresh. */
	run: number;
	error?: string | undefined;
	/** A line that is not an error ("Drill cancelled; …"). */
	notice?: string | undefined;
};

export type DrillAction =
	| {type: 'destination'; where: string}
	| {type: 'other'}
	| {type: 'pick'; backup: DrillBackup}
	| {type: 'passphrase'; passphrase: string}
	/** The backup could not be opened (a wrong passphrase, an unreadable file). */
	| {type: 'open-failed'; error: string}
	| {type: 'check'; check: DrillCheck}
	| {type: 'finished'; report: DrillReport; files?: DrillReportFiles | undefined; reportError?: string | undefined}
	/** runDrill itself threw (cancelled, or a problem no check covers). */
	| {type: 'failed'; error: string; cancelled: boolean}
	| {type: 'back'}
	| {type: 'error'; error: string};

export const CANCELLED_NOTICE = 'Drill cancelled; its scratch folder was removed, nothing else was touched';

export function pendingChecks(): DrillCheck[] {
	return DRILL_CHECKS.map(check => ({id: check.id, label: check.label, status: 'pending'}));
}

export function initialDrillState(where: string): DrillScreenState {
	return {step: 'destination', where, checks: pendingChecks(), run: 0};
}

/** A fresh run of the picked backup. */
const start = (state: DrillScreenState, extra: Partial<DrillScreenState> = {}): DrillScreenState => ({
	...state,
	...extra,
	step: 'running',
	checks: pendingChecks(),
	report: undefined,
	reportFiles: undefined,
	reportError: undefined,
	run: state.run + 1,
	error: undefined,
	notice: undefined,
});

/** The checks with `check` put in its place (a check the contract does not list is added at the end). */
export function withCheck(checks: readonly DrillCheck[], check: DrillCheck): DrillCheck[] {
	const index = checks.findIndex(item => item.id === check.id);
	if (index < 0) return [...checks, check];
	return checks.map((item, at) => (at === index ? {...item, ...check} : item));
}

export function drillReducer(state: DrillScreenState, action: DrillAction): DrillScreenState {
	switch (action.type) {
		case 'destination':
			return {...state, step: 'pick', where: action.where, error: undefined, notice: undefined};
		case 'other':
			return {...state, step: 'other', error: undefined, notice: undefined};
		case 'pick':
			if (action.backup.encrypted) return {...state, step: 'passphrase', backup: action.backup, passphrase: undefined, error: undefined, notice: undefined};
			return start(state, {backup: action.backup, passphrase: undefined});
		case 'passphrase':
			if (action.passphrase === '') return {...state, error: 'Type the passphrase the backup was made with'};
			return start(state, {passphrase: action.passphrase});
		case 'open-failed':
			// A wrong passphrase is typed again where it was typed; anything else goes back to the list.
			return {...state, step: state.backup?.encrypted ? 'passphrase' : 'pick', passphrase: undefined, error: action.error};
		case 'check':
			if (state.step !== 'running') return state;
			return {...state, checks: withCheck(state.checks, action.check)};
		case 'finished':
			return {...state, step: 'done', checks: action.report.checks.length > 0 ? action.report.checks : state.checks, report: action.report, reportFiles: action.files, reportError: action.reportError};
		case 'failed':
			if (action.cancelled) return {...state, step: 'pick', checks: pendingChecks(), notice: CANCELLED_NOTICE};
			return {...state, step: 'done', error: action.error};
		case 'back':
			return back(state);
		case 'error':
			return {...state, error: action.error};
	}
}

function back(state: DrillScreenState): DrillScreenState {
	const clear = {error: undefined, notice: undefined};
	if (state.step === 'other' || state.step === 'pick') return {...state, ...clear, step: 'destination'};
	if (state.step === 'passphrase' || state.step === 'done') return {...state, ...clear, step: 'pick', checks: pendingChecks(), report: undefined, reportFiles: undefined, reportError: undefined};
	return state;
}

/** Short titles for the rows of the screen (the report files carry the contract's full labels). */
export const CHECK_TITLES: Record<DrillCheckId, string> = {
	verify: 'Archive verifies',
	restore: 'Restores to scratch',
	counts: 'Row counts match',
	files: 'File SHA-256s match',
	integrity: 'SQLite integrity',
	references: 'References resolve',
	opens: 'Gateway opens',
	live: 'Live comparison',
};

export function checkTitle(check: Pick<DrillCheck, 'id' | 'label'>): string {
	return CHECK_TITLES[check.id] ?? check.label;
}

export const CHECK_MARKS: Record<DrillCheckStatus, string> = {pending: '·', running: '…', pass: '✓', fail: '✗', skip: '–'};

/** Columns a check row's title takes (the longest title and a space). */
export const TITLE_WIDTH = Math.max(...Object.values(CHECK_TITLES).map(title => title.length)) + 1;

/**
 * A check's row after its mark (2 columns): the title, then its one-line detail, cut to `width`
 * columns so it never wraps onto the next row. The report files keep each check's duration.
 */
export function checkRowText(check: DrillCheck, width: number): string {
	const detail = check.detail ?? (check.status === 'running' ? 'running…' : '');
	return fitLine(`${fit(checkTitle(check), TITLE_WIDTH)}${detail}`.trimEnd(), width - 2);
}

/** A line cut to `width` with an ellipsis, never padded. */
export function fitLine(text: string, width: number): string {
	return [...text].length <= width ? text : fit(text, width);
}

export type Tone = 'ok' | 'error' | 'warn' | 'dim' | 'bold' | undefined;

/** One row of the result: its text already cut to the width, and how it is coloured. */
export type ResultLine = {key: string; text: string; tone?: Tone};

/** "3 days 4 h", "2 h 13 min", "12 min", "40 s": an age for the RPO line. */
export function formatAgeMs(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return `${hours} h ${minutes % 60} min`;
	const days = Math.floor(hours / 24);
	return `${days} days ${hours % 24} h`;
}

const LIVE_COLUMNS = {category: 22, number: 12};

function liveRow(label: string, cells: readonly string[]): string {
	return fit(label, LIVE_COLUMNS.category) + cells.map(cell => fit(cell, LIVE_COLUMNS.number, 'right')).join('');
}

function categoryName(category: string): string {
	return isCategoryId(category) ? categorySpec(category).label : category;
}

/** The verdict line: passed, or the first failing check and why. */
export function verdictLine(report: DrillReport): ResultLine {
	if (report.ok) return {key: 'verdict', text: `✓ Drill passed: ${report.backup.name} restores`, tone: 'ok'};
	const failed = report.checks.find(check => check.id === report.failed) ?? report.checks.find(check => check.status === 'fail');
	const why = failed ? `${checkTitle(failed)}${failed.detail ? `: ${failed.detail}` : ''}` : 'a check failed';
	return {key: 'verdict', text: `✗ Drill failed at ${why}`, tone: 'error'};
}

/** RPO, RTO and the report files: the figures under the checks. */
export function figureLines(report: DrillReport, files: DrillReportFiles | undefined, reportError: string | undefined, width: number): ResultLine[] {
	const line = (key: string, label: string, text: string, tone?: Tone): ResultLine => ({key, text: fitLine(`${fit(label, 8)}${text}`, width), tone});
	const {rpo, rto} = report;
	const live = rpo.live;
	const sum = (key: 'liveOnly' | 'changed') => (live ?? []).reduce((total, row) => total + row[key], 0);
	const liveText =
		live === null
			? 'no live data dir to compare with'
			: sum('liveOnly') + sum('changed') === 0
				? 'the live store holds nothing the backup lacks'
				: `live differs: ${formatCount(sum('liveOnly'))} new, ${formatCount(sum('changed'))} changed (table below)`;
	const lines = [
		line('rpo', 'RPO', `backup age ${formatAgeMs(rpo.backupAgeMs)} · ${liveText}`),
		line('rto', 'RTO', `restore ${formatDuration(rto.restoreMs)} · ${formatBytes(rto.bytes)} at ${formatBytes(Math.round(rto.bytesPerSecond))}/s`),
	];
	// The whole path, over as many rows as it needs (broken after a /): the operator opens or copies it.
	if (files) lines.push(...pathLines('report', 'Report', files.markdown, width), ...pathLines('json', 'JSON', path.basename(files.json), width, 'dim'));
	else if (reportError) lines.push(line('report', 'Report', `not written: ${reportError}`, 'warn'));
	return lines;
}

/** "Label   /a/long/path/" then "        the/rest.md": a path whole, in rows of `width`, broken after a `/`. */
export function pathLines(key: string, label: string, text: string, width: number, tone?: Tone): ResultLine[] {
	const indent = 8;
	const rows = wrapJoined(text.split(/(?<=\/)/), '', Math.max(1, width - indent));
	return rows.map((row, index) => ({key: `${key}:${index}`, text: `${fit(index === 0 ? label : '', indent)}${row}`, tone}));
}

/**
 * The per-category comparison with the live store, when there was one: a row for each category
 * where they differ, then one line for the categories where they hold the same entries.
 */
export function liveTableLines(report: DrillReport, width: number): ResultLine[] {
	const live = report.rpo.live;
	if (!live || live.length === 0) return [];
	const differing = live.filter(row => row.liveOnly + row.changed + row.backupOnly > 0);
	const same = live.length - differing.length;
	const lines: ResultLine[] = [{key: 'live-title', text: fitLine('The live data dir against the backup, entries per category:', width), tone: 'bold'}];
	if (differing.length > 0) {
		lines.push({key: 'live-head', text: fitLine(liveRow('Category', ['Live only', 'Changed', 'Backup only']), width), tone: 'dim'});
		for (const row of differing) {
			lines.push({key: `live:${row.category}`, text: fitLine(liveRow(categoryName(row.category), [row.liveOnly, row.changed, row.backupOnly].map(formatCount)), width), tone: 'warn'});
		}
	}
	const sameText = differing.length === 0 ? `all ${same} categories: the same entries in both` : `${same} other categor${same === 1 ? 'y' : 'ies'}: the same entries in both`;
	if (same > 0) lines.push({key: 'live-same', text: fitLine(`= ${sameText}`, width), tone: 'dim'});
	return lines;
}

/** What a real restore of this backup would leave to do. */
export function checklistLines(report: DrillReport, width: number): ResultLine[] {
	if (report.checklist.length === 0) return [];
	return [
		{key: 'checklist-title', text: fitLine('After a real restore of this backup:', width), tone: 'bold'},
		...report.checklist.map((item, index) => ({key: `checklist:${index}`, text: fitLine(`  • ${item.text}`, width)})),
	];
}

/**
 * Every row of a finished drill after the checks: RPO, RTO, the report files, the live
 * comparison and the checklist, a blank row between the sections.
 */
export function resultLines(report: DrillReport, files: DrillReportFiles | undefined, reportError: string | undefined, width: number): ResultLine[] {
	const sections = [figureLines(report, files, reportError, width), liveTableLines(report, width), checklistLines(report, width)].filter(section => section.length > 0);
	return sections.flatMap((section, index) => (index === 0 ? section : [{key: `gap:${index}`, text: ''}, ...section]));
}

/** The first row shown when `count` rows are scrolled in `height` rows, moved by `delta` (clamped). */
export function scrollTo(offset: number, delta: number, count: number, height: number): number {
	return Math.min(Math.max(0, offset + delta), Math.max(0, count - height));
}
