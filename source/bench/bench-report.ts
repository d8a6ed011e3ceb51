/**
 * What `npm run bench` prints: the table of runs (each row beside the `tar czf` of its own
 * gateway, timed in the same interleaved rounds) and the Targets block of issue 13, each target
 * beside its figure and baseline, marked met or missed. The same as markdown for the readme.
 */
import {formatBytes} from '../core/format.js';
import type {Measured} from './bench-cases.js';
import type {Extras, RestoreFigure, StartFigure} from './bench-extras.js';
import {row} from './bench-tools.js';
import type {OtherWork} from './other-work.js';

/**
 * Output size / `tar czf` output size of the same gateway before issue 13 (a single deflate
 * stream at level 6), per format: the size target is "within 2 % of these". Measured with
 * `--quick` (64 MiB gateway: zip 63.2 MB, tar.gz 63.0 MB, tar czf 63.1 MB); the 1 GiB run of the
 * readme gave 657 MB for both and 658 MB for tar czf (0.998).
 */
export const SIZE_RATIO_BEFORE: Record<string, number> = {zip: 1.002, 'tar.gz': 0.999};

export type ReportInput = {
	measured: Measured[];
	extras: Extras;
	repeat: number;
	cores: number;
	/** The CPU other processes took while the bench ran (other-work.ts). */
	otherWork?: OtherWork;
	/** Counts the row targets are stated for; a smaller run is reported but not judged. */
	counts: {rows: number; listCount: number};
	notes: string[];
};

/** How much of the machine other processes took while the bench ran; above 10 % of it, a warning. */
function otherWorkNote(input: ReportInput): string {
	if (!input.otherWork) return '';
	const percent = Math.round(input.otherWork.share * 100);
	const busy = input.otherWork.share > 0.1;
	return `; other processes took ${percent} % of the cores' time during the run${busy ? ': seconds are inflated; ratios against baselines in the same rounds hold better' : ' (an otherwise idle machine)'}`;
}

type Status = 'met' | 'missed' | 'not measured' | 'not judged';
export type Target = {target: string; figure: string; baseline: string; status: Status};

const MB = 1024 * 1024;
const seconds = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} s`;
const times = (value: number) => `${value.toFixed(2)}x`;
const rss = (kb: number) => formatBytes(kb * 1024);
const judge = (ok: boolean): Status => (ok ? 'met' : 'missed');

function baselineOf(input: ReportInput, item: Measured): Measured | undefined {
	return input.measured.find(other => other.role === 'baseline' && other.gateway.key === item.gateway.key);
}

function find(input: ReportInput, role: Measured['role'], gatewayKey: string, format: string, encrypted = false): Measured | undefined {
	return input.measured.find(item => item.role === role && item.gateway.key === gatewayKey && item.format === format && Boolean(item.encrypted) === encrypted);
}

/** The cells of one run's row. */
function cells(input: ReportInput, item: Measured): string[] {
	const base = baselineOf(input, item);
	const {run} = item;
	const timed = item.role !== 'verify' && base && item !== base;
	const sized = timed && run.outputBytes > 0 && base.run.outputBytes > 0;
	return [
		item.label,
		item.gateway.title,
		run.seconds.toFixed(2),
		run.cpuSeconds.toFixed(2),
		(run.cpuSeconds / run.seconds).toFixed(2),
		(item.gateway.bytes / MB / run.seconds).toFixed(1),
		timed ? times(run.seconds / base.run.seconds) : '',
		run.outputBytes ? formatBytes(run.outputBytes) : '',
		sized ? (run.outputBytes / base.run.outputBytes).toFixed(3) : '',
		rss(run.peakRssKb),
	];
}

const HEADERS = ['run', 'gateway', 'seconds', 'CPU s', 'CPU/wall', 'MB/s', 'time vs tar czf', 'output', 'size vs tar czf', 'peak RSS'];

function timeTargets(input: ReportInput, key: string): Target[] {
	const targets: Target[] = [];
	const base = input.measured.find(item => item.role === 'baseline' && item.gateway.key === key);
	for (const [format, limit] of [['zip', 0.5], ['tar.gz', 0.6]] as const) {
		const item = find(input, 'create', key, format);
		if (!item || !base) continue;
		const ratio = item.run.seconds / base.run.seconds;
		targets.push({target: `backup ${format} time <= ${limit}x tar czf`, figure: `${times(ratio)} (${seconds(item.run.seconds)})`, baseline: `tar czf ${seconds(base.run.seconds)}`, status: judge(ratio <= limit)});
		const size = item.run.outputBytes / base.run.outputBytes;
		const before = SIZE_RATIO_BEFORE[format]!;
		targets.push({target: `${format} size within 2 % of today's`, figure: `${size.toFixed(3)} of tar czf (${formatBytes(item.run.outputBytes)})`, baseline: `${before.toFixed(3)} before`, status: judge(size <= before * 1.02)});
	}
	return targets;
}

function memoryTargets(input: ReportInput, key: string): Target[] {
	const lifeboatRuns = input.measured.filter(item => item.role === 'create' || item.role === 'verify');
	const peaks = [...lifeboatRuns.map(item => ({what: `${item.label}, ${item.gateway.title}`, kb: item.run.peakRssKb}))];
	if (input.extras.replace) peaks.push({what: 'replace restore', kb: input.extras.replace.peakRssKb});
	if (input.extras.dryRun) peaks.push({what: 'restore dry run', kb: input.extras.dryRun.peakRssKb});
	const worst = peaks.reduce((a, b) => (b.kb > a.kb ? b : a), {what: '-', kb: 0});
	const targets: Target[] = [{target: 'peak RSS < 100 MB (every lifeboat run)', figure: `${rss(worst.kb)} (${worst.what})`, baseline: '159-185 MB before', status: judge(worst.kb < 100 * 1024)}];
	for (const role of ['create', 'verify'] as const) {
		const same = input.measured.filter(item => item.role === role && item.format === 'zip' && !item.encrypted);
		if (same.length < 2) continue;
		const kbs = same.map(item => item.run.peakRssKb);
		const spread = Math.max(...kbs) / Math.min(...kbs);
		const figure = same.map(item => `${item.gateway.title} ${rss(item.run.peakRssKb)}`).join(', ');
		targets.push({target: `memory flat: zip ${role} within 1.2x across sizes`, figure: `${times(spread)} (${figure})`, baseline: `the ${key} gateway's`, status: judge(spread <= 1.2)});
	}
	return targets;
}

function verifyTarget(input: ReportInput, key: string): Target {
	const plain = find(input, 'verify', key, 'zip');
	const encrypted = find(input, 'verify', key, 'zip', true);
	if (!plain || !encrypted) return {target: 'encrypted zip verify <= 1.2x plain', figure: 'not measured', baseline: '', status: 'not measured'};
	const ratio = encrypted.run.seconds / plain.run.seconds;
	return {target: 'encrypted zip verify <= 1.2x plain', figure: `${times(ratio)} (${seconds(encrypted.run.seconds)})`, baseline: `plain ${seconds(plain.run.seconds)} (1.7x before)`, status: judge(ratio <= 1.2)};
}

/**
 * Node's own start beside the console's; where the environment sets NODE_EXTRA_CA_CERTS, both
 * without it too (the target is judged on the figure with it: the host's own setting).
 */
export function startBaseline(start: StartFigure): string {
	if (start.nodeMedianMs === undefined) return '';
	const node = `Node itself ${start.nodeMedianMs.toFixed(0)} ms (${start.nodeRuns!.join(',')})`;
	const without = start.withoutExtraCerts;
	return without ? `${node}; without NODE_EXTRA_CA_CERTS: console ${without.medianMs.toFixed(0)} ms, Node itself ${without.nodeMedianMs.toFixed(0)} ms` : node;
}

/**
 * A restore's earlier figure, and the floor measured beside it: the same rows only inflated,
 * hashed and parsed, and in SQLite only `sqliteWork` (restore-floor.ts).
 */
export function restoreBaseline(figure: RestoreFigure, before: string, sqliteWork: string): string {
	const {floor} = figure;
	if (!floor) return before;
	return `floor ${seconds(floor.seconds)} = archive rows inflated, hashed, parsed ${seconds(floor.archiveSeconds)} + SQLite ${sqliteWork} ${seconds(floor.sqliteSeconds)} + start; ${before}`;
}

function extraTargets(input: ReportInput): Target[] {
	const {list, replace, dryRun, start} = input.extras;
	const count = (value: number) => value.toLocaleString('en-US');
	const judged = (ok: boolean, full: boolean): Status => (full ? judge(ok) : 'not judged');
	const absent = (target: string, baseline: string): Target => ({target, figure: 'not measured', baseline, status: 'not measured'});
	const rowsFull = input.counts.rows >= 1_000_000;
	return [
		replace
			? {target: 'restore 1,000,000 rows (replace) < 8 s', figure: `${seconds(replace.seconds)} for ${count(replace.rows)} rows, ${rss(replace.peakRssKb)}`, baseline: restoreBaseline(replace, '~15 s before', 'UPDATE by id'), status: judged(replace.seconds < 8, rowsFull)}
			: absent('restore 1,000,000 rows (replace) < 8 s', '~15 s before'),
		dryRun
			? {target: 'CLI dry run 1,000,000 entries vs populated < 2 s', figure: `${seconds(dryRun.seconds)} for ${count(dryRun.rows)}, ${rss(dryRun.peakRssKb)}`, baseline: restoreBaseline(dryRun, '7.4 s before', 'read in id order'), status: judged(dryRun.seconds < 2, rowsFull)}
			: absent('CLI dry run 1,000,000 entries vs populated < 2 s', '7.4 s before'),
		list
			? {target: 'backup list of 10,000: all valid, < 3 s, < 150 MB', figure: `${list.valid}/${list.total} valid of ${count(list.count)}, ${seconds(list.seconds)}, ${rss(list.peakRssKb)}`, baseline: '27.8 s, 1.79 GB, EMFILE before', status: list.valid !== list.total || list.total !== list.count ? 'missed' : judged(list.seconds < 3 && list.peakRssKb < 150 * 1024, list.count >= 10_000)}
			: absent('backup list of 10,000: all valid, < 3 s, < 150 MB', '27.8 s, 1.79 GB, EMFILE before'),
		start ? {target: 'console first frame < 300 ms', figure: `${start.medianMs.toFixed(0)} ms (median of ${start.runs.join(',')})`, baseline: startBaseline(start), status: judge(start.medianMs < 300)} : absent('console first frame < 300 ms', ''),
	];
}

export function targets(input: ReportInput): Target[] {
	const key = input.measured.find(item => item.role === 'baseline')?.gateway.key ?? '';
	return [...timeTargets(input, key), ...memoryTargets(input, key), verifyTarget(input, key), ...extraTargets(input)];
}

/** Runs grouped by gateway (main first), each group in the order it was run. */
function ordered(input: ReportInput): Measured[] {
	const keys = [...new Set(input.measured.map(item => item.gateway.key))];
	return [...input.measured].sort((a, b) => keys.indexOf(a.gateway.key) - keys.indexOf(b.gateway.key));
}

function heading(input: ReportInput): string[] {
	const gateways = [...new Map(input.measured.map(item => [item.gateway.key, item.gateway])).values()];
	return [
		`Gateways: ${gateways.map(gateway => `${gateway.title} (${formatBytes(gateway.bytes)})`).join(', ')}; half incompressible binaries, half log text, a medium demo's rows`,
		`Machine: ${input.cores} cores, Node ${process.version}; each figure the median of ${input.repeat} interleaved round${input.repeat === 1 ? '' : 's'} (listing and restores: of ${input.repeat} run${input.repeat === 1 ? '' : 's'}; peak RSS: the median of the runs' peaks); CPU is user+sys of the process and its children${otherWorkNote(input)}`,
	];
}

export function textReport(input: ReportInput): string[] {
	const widths = [33, 8, 8, 7, 8, 6, 15, 9, 15, 9];
	const lines = [...heading(input), '', row(HEADERS, widths)];
	for (const item of ordered(input)) lines.push(row(cells(input, item), widths));
	lines.push(...input.notes.map(note => `(${note})`), '', 'Targets');
	const all = targets(input);
	const width = Math.max(...all.map(target => target.target.length));
	for (const target of all) lines.push(`  ${target.target.padEnd(width)}  ${target.figure}${target.baseline ? `  [baseline: ${target.baseline}]` : ''}  ${target.status.toUpperCase()}`);
	return lines;
}

const escape = (cell: string) => cell.replaceAll('|', '\\|');

export function markdownReport(input: ReportInput): string[] {
	const lines = [...heading(input).map(line => `${line}.`), '', `| ${HEADERS.join(' | ')} |`, `|---|---|${'---:|'.repeat(HEADERS.length - 2)}`];
	for (const item of ordered(input)) lines.push(`| ${cells(input, item).map(escape).join(' | ')} |`);
	if (input.notes.length > 0) lines.push('', ...input.notes.map(note => `- ${note}`));
	lines.push('', '| target | figure | baseline | |', '|---|---|---|---|');
	for (const target of targets(input)) lines.push(`| ${escape(target.target)} | ${escape(target.figure)} | ${escape(target.baseline)} | ${target.status} |`);
	return lines;
}

export const README_BEGIN = '<!-- bench:begin (generated by `npm run bench -- --readme-out readme.md`) -->';
export const README_END = '<!-- bench:end -->';

/** `readme` with the generated part of its Performance section replaced by `generated`. */
export function spliceReadme(readme: string, generated: string[]): string {
	const begin = readme.indexOf(README_BEGIN);
	const end = readme.indexOf(README_END);
	if (begin === -1 || end < begin) throw new Error(`the readme has no ${README_BEGIN} … ${README_END} block to replace`);
	return `${readme.slice(0, begin + README_BEGIN.length)}\n${generated.join('\n')}\n${readme.slice(end)}`;
}
