export {planRetention, type RetentionCandidate, type RetentionDecision, type RetentionGroup, type RetentionPlan, type RetentionScope, type RetentionSummary} from './plan-retention.js';
export {applyPrune, planPrune, pruneDestination, type PrunePlan, type PruneProgress, type PruneOptions, type PruneResult} from './prune-destination.js';
export {DEFAULT_POLICY, describePolicy, formatDuration, isEmptyPolicy, parseCount, parseDuration, type RetentionDuration, type RetentionPolicy} from './retention-policy.js';
export {isoWeek, periodKey} from './period-keys.js';
