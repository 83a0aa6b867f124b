/** Whether the page runs as a wall kiosk: `?kiosk=1` in its address (the Electron shell's `--kiosk` is meant to set the same). */
export function kioskFlag(search: string): boolean {
  return new URLSearchParams(search).get('kiosk') === '1';
}
