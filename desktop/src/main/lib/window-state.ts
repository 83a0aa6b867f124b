import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_BOUNDS, WindowBounds } from './window-options.js';

/** The desktop window's size and place, remembered between runs (a file in user data, parsed when read). */
export async function loadBounds(file: string): Promise<WindowBounds> {
  try {
    const parsed = WindowBounds.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : DEFAULT_BOUNDS;
  } catch {
    return DEFAULT_BOUNDS;
  }
}

export async function saveBounds(file: string, bounds: WindowBounds): Promise<void> {
  const parsed = WindowBounds.safeParse(bounds);
  if (!parsed.success) return;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(parsed.data));
}
