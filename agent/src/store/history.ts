// The history planner and its SQL live in @boiler/service, shared with the relay's replica.
export {
  MAX_HISTORY_POINTS,
  ROLLUP_TIERS,
  planHistory,
  historySegments,
  historySql,
  type HistoryPlan,
  type HistorySegment,
  type RollupTier,
} from '@boiler/service';
