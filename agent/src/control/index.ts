/** The control engine: pure functions of (config, state, readings, now); the agent wires them to hardware and the store. */
export type { EngineConfig, Instant } from './config.js';
export type { Readings, ZoneReadings } from './readings.js';
export {
  EngineState,
  SavedEngineState,
  ZoneRuntime,
  SavedZoneRuntime,
  ZoneOverride,
  OutputState,
  Boost,
  Overrun,
  RiseBaseline,
  Stamp,
  AliveMark,
  ENGINE_STATE_VERSION,
  MAX_PRESETS,
  initialState,
  parseEngineState,
  parseSavedEngineState,
  noSettings,
  savedStateOf,
  settingsOf,
  withSettings,
  rebaseStamp,
  resumeState,
  stopGapOf,
  newestSwitch,
  type EngineEvent,
  type StoredSettings,
  type ResumeResult,
  type StopGap,
} from './state.js';
export {
  STATE_UPGRADES,
  StateUpgradeError,
  describeUnreadable,
  freshStateKeeping,
  salvageSettings,
  upgradeEngineState,
  type SalvagedSettings,
  type StateUpgrade,
} from './state-upgrades.js';
export { tick, NO_TEMP_RISE_AFTER_MS, NO_TEMP_RISE_MIN_C, type TickResult } from './engine.js';
export { applyCommand, type CommandApplication, type CommandRefusal, type RefusalCode } from './commands.js';
export { zoneStatesOf, systemStateOf } from './snapshot.js';
export { alertIds } from './alerts.js';
export { FREEZE_RELEASE_MARGIN_C } from './safety.js';
export { scheduleClock, activeSwitch, type ScheduleClock, type ActiveSwitch } from './schedule.js';
