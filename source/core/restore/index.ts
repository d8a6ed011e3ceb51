/** The restore engine: what the CLI and the TUI use. */
export * from './restore-types.js';
export {applyRestore, planRestore, restoreIntoNewDataDir, verifyOrThrow} from './restore-engine.js';
export {formatChecklist, postRestoreChecklist, type ChecklistItem} from './checklist.js';
export {getConflictDetail, LIVE_SECRET_MASK} from './conflict-detail.js';
export {formatCategory, formatDangling, formatPlan, formatResult, formatSecrets, MODE_SUMMARY} from './format-plan.js';
export {pendingRestores, recoverInterruptedRestores, STAGING_DIR} from '../store/staging.js';
export {remapId} from './id-map.js';
