/** `lifeboat drill`: what the CLI and the console's DR drill screen use. */
export * from './drill-types.js';
export {runDrill, SCRATCH_PREFIX} from './run-drill.js';
export {defaultDrillReportFile, drillMarkdown, drillReportDir, drillReportPaths, formatRpo, formatRto, formatSpan, refuseReportPath, writeDrillReports, type DrillReportPaths} from './drill-reports.js';
export {appendDrillHistory, drillHistoryFile, historyEntry, readDrillHistory} from './drill-history.js';
