import path from 'node:path';
import {configDir} from '../core/destinations/named-destinations.js';
import {appendDrillHistory, runDrill, writeDrillReports, type DrillOptions, type DrillReport, type DrillReportPaths} from '../core/drill/index.js';

/**
 * The drill engine as the console calls it: runDrill, and the reports written where the CLI
 * writes them by default, with the drill-history line. Kept apart so a test can wrap either.
 */
export type ConsoleDrillEngine = {
	runDrill(options: DrillOptions): Promise<DrillReport>;
	/** Writes the drill's JSON and Markdown reports and appends its drill-history line; returns the files. */
	writeDrillReports(report: DrillReport, env: NodeJS.ProcessEnv): Promise<DrillReportPaths>;
};

/** Where drill reports go unless told otherwise: `drill-reports/` in the config folder (as `lifeboat drill`). */
export function drillReportDir(env: NodeJS.ProcessEnv): string {
	return path.join(configDir(env), 'drill-reports');
}

/** drill-YYYYMMDD-HHMMSS-<backup name>.json (and .md) in drillReportDir: the CLI's default name. */
export function drillReportFile(env: NodeJS.ProcessEnv, report: DrillReport): string {
	const stamp = report.startedAt.slice(0, 19).replaceAll('-', '').replaceAll(':', '').replace('T', '-');
	const name = report.backup.name.replace(/[^\w.-]+/g, '_').slice(0, 80);
	return path.join(drillReportDir(env), `drill-${stamp}${name ? `-${name}` : ''}.json`);
}

export const DEFAULT_DRILL_ENGINE: ConsoleDrillEngine = {
	runDrill,
	async writeDrillReports(report, env) {
		const files = writeDrillReports(report, drillReportFile(env, report));
		appendDrillHistory(report, files, env);
		return files;
	},
};
