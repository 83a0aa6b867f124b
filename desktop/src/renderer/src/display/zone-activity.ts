import type { ZoneState } from '@boiler/shared';

/** What a zone is doing, in one word or two, with a tone for its colour. */
export interface Activity {
  word: string;
  tone: 'heating' | 'idle' | 'off' | 'fault' | 'safety';
}

export function zoneActivity(z: ZoneState): Activity {
  switch (z.condition) {
    case 'sensor_fault':
      return { word: 'fault', tone: 'fault' };
    case 'freeze_protect':
      return { word: 'freeze protection', tone: 'safety' };
    case 'high_limit':
      return { word: 'high limit', tone: 'safety' };
    case 'max_run_lockout':
      return { word: 'run limit', tone: 'safety' };
    case 'normal':
      break;
  }
  if (z.kind === 'onoff') return z.output ? { word: 'on', tone: 'heating' } : { word: 'off', tone: 'off' };
  if (z.mode === 'OFF') return { word: 'off', tone: 'off' };
  return z.output ? { word: 'heating', tone: 'heating' } : { word: 'idle', tone: 'idle' };
}
