import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {configDir} from '../destinations/named-destinations.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {formatBytes, formatCount, formatDuration} from '../format.js';
import {ensureDir, PRIVATE_FILE_MODE, realPathOfDeepestAncestor} from '../private-fs.js';
import type {DrillCheck, DrillReport} from './drill-types.js';

export type DrillReportPaths = {json: string; markdown: string};

/** Where drill reports go unless told otherwise (`--report`): `drill-reports/` in the config folder. */
export function drillReportDir(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(configDir(env), 'drill-reports');
}

/**
 * The default report of a drill, the same for `lifeboat drill` and the console's DR drill:
 * drill-YYYYMMDD-HHMMSS-<backup name>.json (and .md beside it) in drillReportDir, the time the
 * drill started (UTC), the name made file-safe (anything but letters, digits, `.`, `-` and `_`
 * becomes `_`) and cut to 80 characters.
 */
export function defaultDrillReportFile(env: NodeJS.ProcessEnv, report: Pick<DrillReport, 'startedAt' | 'backup'>): string {
	const stamp = report.startedAt.slice(0, 19).replaceAll('-', '').replaceAll(':', '').replace('T', '-');
	const name = report.backup.name.replace(/[^\w.-]+/g, '_').slice(0, 80);
	return path.join(drillReportDir(env), `drill-${stamp}${name ? `-${name}` : ''}.json`);
}

/** FILE.json (or FILE itself when it ends in .json) and the Markdown beside it (FILE.md). */
export function drillReportPaths(file: string): DrillReportPaths {
	const resolved = path.resolve(file);
	const base = resolved.endsWith('.json') ? resolved.slice(0, -'.json'.length) : resolved;
	return {json: `${base}.json`, markdown: `${base}.md`};
}

function isWithin(target: string, folder: string): boolean {
	let inner: string;
	let outer: string;
	try {
		inner = realPathOfDeepestAncestor(target);
		outer = realPathOfDeepestAncestor(folder);
	} catch {
		// A link loop: writing there fails and says so; a live data dir that loops is reported by the drill.
		return false;
	}
	return inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);
}

/**
 * Refuses, before the drill runs, report files it must not or cannot write: inside the live data
 * directory (links followed; the drill never writes there, and FILE.json could replace a gateway
 * file), or where a folder (or anything but a file) already is.
 */
export function refuseReportPath(file: string, liveDataDir?: string): void {
	for (const target of Object.values(drillReportPaths(file))) {
		if (liveDataDir !== undefined && isWithin(target, liveDataDir)) {
			throw new LifeboatError('usage', `Drill report ${target} would be inside the live data directory ${path.resolve(liveDataDir)}; write it elsewhere (the drill never writes in the live data directory)`);
		}
		let stats: fs.Stats | undefined;
		try {
			stats = fs.statSync(target, {throwIfNoEntry: false});
		} catch (error) {
			describeFsError(error, `Drill report ${target}`);
		}
		if (stats?.isDirectory()) throw new LifeboatError('usage', `Drill report ${target} is a folder; name a file (--report FILE writes FILE.json and FILE.md)`);
		if (stats && !stats.isFile()) throw new LifeboatError('usage', `Drill report ${target} is not a regular file; name another`);
	}
}

/** Writes a file owner-only and atomically: a temporary file beside it, fsynced, renamed over it. */
function writePrivateAtomic(file: string, text: string): void {
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(3).toString('hex')}.tmp`);
	try {
		ensureDir(path.dirname(file));
		fs.writeFileSync(temporary, text, {mode: PRIVATE_FILE_MODE, flag: 'wx'});
		fs.chmodSync(temporary, PRIVATE_FILE_MODE);
		const handle = fs.openSync(temporary, 'r');
		try {
			fs.fsyncSync(handle);
		} finally {
			fs.closeSync(handle);
		}
		fs.renameSync(temporary, file);
	} catch (error) {
		fs.rmSync(temporary, {force: true});
		describeFsError(error, `Drill report ${file}`);
	}
}

/** The drill's report as JSON and as readable Markdown, both 0600, each written atomically. */
export function writeDrillReports(report: DrillReport, file: string): DrillReportPaths {
	const paths = drillReportPaths(file);
	writePrivateAtomic(paths.json, JSON.stringify(report, null, 2) + '\n');
	writePrivateAtomic(paths.markdown, drillMarkdown(report));
	return paths;
}

const MARK: Record<DrillCheck['status'], string> = {pass: '✓ pass', fail: '✗ FAIL', skip: '– skip', pending: '… pending', running: '… running'};

/** Table cells: one line, pipes escaped. */
function cell(text: string | number | undefined): string {
	// eslint-disable-next-line no-control-regex
	return String(text ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replaceAll('\\', '\\\\').replaceAll('|', '\\|');
}

/** A span in the largest two units: "850 ms", "42 s", "5 min 3 s", "3 h 12 min", "2 d 4 h". */
export function formatSpan(ms: number): string {
	if (ms < 60_000) return formatDuration(ms);
	const minutes = Math.floor(ms / 60_000);
	if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours} h ${minutes % 60} min`;
	return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The RPO line: the backup's age when the drill ran. */
export function formatRpo(report: DrillReport): string {
	if (!report.backup.createdAt) return "unknown (the backup's metadata could not be read)";
	return `${formatSpan(report.rpo.backupAgeMs)} (backup made ${report.backup.createdAt})`;
}

export function formatRto(report: DrillReport): string {
	if (report.rto.restoreMs === 0) return 'not measured (the restore did not run to the end)';
	return `${formatDuration(report.rto.restoreMs)} for ${formatBytes(report.rto.bytes)} (${formatBytes(report.rto.bytesPerSecond)}/s)`;
}

export function drillMarkdown(report: DrillReport): string {
	const lines: string[] = [
		`# Lifeboat DR drill: ${report.ok ? 'PASSED' : `FAILED (${report.failed ?? 'a check failed'})`}`,
		'',
		`- Backup: ${cell(report.backup.name)} (${cell(report.backup.id) || 'id unknown'})`,
		`- Location: ${cell(report.backup.location)}`,
		`- Format: ${report.backup.format}${report.backup.encrypted ? ', encrypted' : ''}, ${formatBytes(report.backup.bytes)}`,
		`- Drill: ${report.startedAt} → ${report.finishedAt}`,
		'',
		'## Checks',
		'',
		'| Status | Check | Detail | Time |',
		'| --- | --- | --- | --- |',
		...report.checks.map(check => `| ${MARK[check.status]} | ${cell(check.id)}: ${cell(check.label)} | ${cell(check.detail)} | ${check.durationMs === undefined ? '' : formatDuration(check.durationMs)} |`),
		'',
		'## Recovery point and time',
		'',
		`- RPO (age of the backup): ${formatRpo(report)}`,
		`- RTO (restore into an empty data directory): ${formatRto(report)}`,
		'',
		...liveSection(report),
		'## After a real restore of this backup',
		'',
		...report.checklist.map(item => `- [ ] ${cell(item.text)}`),
		'',
	];
	if (report.warnings && report.warnings.length > 0) lines.push('## Restore warnings', '', ...report.warnings.map(warning => `- ${cell(warning)}`), '');
	return lines.join('\n');
}

function liveSection(report: DrillReport): string[] {
	const {live} = report.rpo;
	if (!live) return ['## Live data directory', '', 'Not compared (no live data directory given).', ''];
	return [
		'## Live data directory against the backup',
		'',
		'| Category | Live only (backup lacks) | Changed since | Backup only (live lacks) |',
		'| --- | ---: | ---: | ---: |',
		...live.map(row => `| ${row.category} | ${formatCount(row.liveOnly)} | ${formatCount(row.changed)} | ${formatCount(row.backupOnly)} |`),
		'',
	];
}
